// Package auth is computegw's caller security: the
// credentials each transport saw (Credentials), JWT bearer verification
// against a key set from a file, a URL or OIDC discovery (Verifier), the
// per-cloud roles (Policy), the one authentication step that turns
// credentials into an Identity (Guard), and the server TLS configuration with
// certificate reload and client-certificate verification (ServerTLS).
//
// The transports only extract credentials (package gateway for REST, the
// gRPC peer and metadata in package server); authentication and
// authorization run once per RPC in package server, the layer both
// transports share, so no route can bypass them.
package auth

// Package deploy holds the deployment artefacts: the Dockerfile, the
// Kubernetes manifests, the systemd unit and an example config. It has no
// code; its tests (deploy_test.go) keep the artefacts in step with
// cmd/gateway, internal/gateway and internal/config, since CI has no
// container engine, cluster or systemd to run them.
package deploy

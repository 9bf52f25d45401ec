// Package fake is an in-memory, stateful stand-in for the Fujitsu Cloud
// Service K5 IaaS Foundation API: Keystone v3 password authentication and the
// Nova-derived compute endpoints of the K5 guide's Part 1 (sections 1.1, 1.2
// and 1.8). It is for the k5 adapter's tests, the conformance suite, the
// gateway's demo mode (cloud k5-demo) and the gateway's end-to-end tests.
//
// The fake follows the guide's wire format: the token is only in the
// X-Subject-Token response header, the token's catalog points at the fake's
// own compute endpoint (/v2/{tenant_id}), servers move through Nova statuses
// (BUILD, ACTIVE, SHUTOFF, HARD_REBOOT, RESIZE, VERIFY_RESIZE, REVERT_RESIZE,
// REBUILD, SHELVED) with OS-EXT-STS:task_state while an action runs, and
// errors are Nova fault bodies such as {"itemNotFound": {"code": 404,
// "message": "..."}}. It also reproduces the guide's documented quirks: a 500
// on an image read the role may not perform (section 1.2.5), lists that lose
// availability-zone information during maintenance (sections 1.1.5, 1.2.5),
// and no documented zone listing (os-availability-zone answers 404 unless
// Options.ZoneListing is set).
//
// Transitions are evaluated lazily against Options.Now, so the fake has no
// background goroutines and is safe for concurrent use.
package fake

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/computegw/computegw/internal/fakekit"
)

// Demo credentials and identifiers. They are constants of the fake, not
// secrets.
const (
	DemoDomainName = "123456789" // the K5 contract number
	DemoProjectID  = "0b2d4a7e8d9f4c1aa1b2c3d4e5f60718"
	DemoUsername   = "k5-demo-user"
	DemoPassword   = "k5-demo-password"
	DemoUserID     = "4f7cde1b2a9e4e5c8d0b6a7f1e2d3c4b"
	Region         = "uk-1"
)

// Seeded zones.
const (
	ZoneA = "uk-1a"
	ZoneB = "uk-1b"
)

// Seeded flavors (K5 standard flavor names; K5 flavors have no local disk:
// servers boot from a block-storage volume).
const (
	FlavorS1 = "1101" // S-1: 1 vCPU, 4 GB
	FlavorS2 = "1102" // S-2: 2 vCPU, 8 GB
	FlavorM1 = "1201" // M-1: 2 vCPU, 16 GB
	FlavorL1 = "1301" // L-1: 4 vCPU, 32 GB
)

// Seeded images.
const (
	ImageUbuntu  = "ffa17298-537d-40b2-a848-0a4d22b49df5" // minDisk 3
	ImageCentOS  = "0b1f4b51-9b3c-4d3e-a1e2-7bdfa8c5c6a1" // minDisk 30
	ImageWindows = "3c4b9b7a-2f6d-4f0e-9e1a-5d6c7b8a9f01" // minDisk 80
	// ImageNoMinDisk has minDisk 0: K5 tells the caller to ask the image
	// provider for the size.
	ImageNoMinDisk = "7d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6"
	// ImageRestricted answers GET /images/{id} with 500, as K5 does when the
	// caller's role may not read an image (guide section 1.2.5).
	ImageRestricted = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
)

// Seeded networks and security groups.
const (
	NetworkA      = "8f2b1c7e-3d4a-4b5c-9e6f-7a8b9c0d1e2f"
	NetworkB      = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
	SecurityGroup = "web"
)

// Seeded volumes, free to attach.
const (
	Volume1 = "a26887c6-c47b-4654-abb5-dfadf7d3f803"
	Volume2 = "a26887c6-c47b-4654-abb5-dfadf7d3f804"
	Volume3 = "d3b6498f-46f0-48b8-8209-7633ba62a3da"
)

// Seeded key pair and instances (instances only with Options.SeedInstances).
const (
	KeyPairName = "demo-key"
	Instance1ID = "3dbf5b00-dabc-41ff-b6ab-4409568fae9d"
	Instance2ID = "893c7791-f1df-4c3d-8383-3caae9656c62"
)

// Options configure a Server. Zero values pick the defaults noted.
type Options struct {
	// Credentials the identity endpoint accepts. Defaults: the Demo constants.
	DomainName string
	ProjectID  string
	Username   string
	Password   string

	// TokenTTL is the lifetime of an issued token. Default 1h.
	TokenTTL time.Duration

	// BuildDelay is BUILD → ACTIVE; ActionDelay is how long every other
	// action (start, stop, reboot, resize, revert, shelve, unshelve,
	// rebuild) stays in its transitional state; DeleteDelay is how long a
	// deleted server stays visible with task_state "deleting". Defaults
	// 30ms, 30ms, 30ms.
	BuildDelay  time.Duration
	ActionDelay time.Duration
	DeleteDelay time.Duration

	// Zones are the availability zones. Default uk-1a, uk-1b.
	Zones []string
	// ZoneListing makes GET /os-availability-zone answer with the zones.
	// K5's guide does not document zone listing, so by default it answers
	// 404 (itemNotFound), like an API without the extension.
	ZoneListing bool

	// SeedInstances creates Instance1ID (ACTIVE, uk-1a) and Instance2ID
	// (SHUTOFF, uk-1b).
	SeedInstances bool

	// MaxServers is the server quota; a create beyond it answers 413
	// overLimit. 0: unlimited.
	MaxServers int

	// AttachmentIDsEqualVolumeIDs makes volume attachment IDs equal to the
	// volume IDs, as in the guide's examples. By default they differ, which
	// the API allows ({attachment_id} is its own path parameter).
	AttachmentIDsEqualVolumeIDs bool

	// Now is the clock for token expiry and transitions. Default time.Now.
	Now func() time.Time
}

// Server is a running fake K5 endpoint (identity and compute on one host).
// Its URL is the base URL: the identity endpoint (Keystone v3 at
// /v3/auth/tokens under it) and the compute host (/v2/{tenant_id}). It is
// also an http.Handler.
type Server struct {
	fakekit.IdentityBase
	opt Options

	computeReqs fakekit.Counter

	mu          sync.Mutex
	maintenance bool
	servers     map[string]*server
	order       []string // server IDs in creation order
	keypairs    map[string]*keypair
	volumes     map[string]*volume
	flavors     []flavor
	images      map[string]image
	secGroups   []string
	nextIP      int
}

// NewServer starts a fake K5 server on 127.0.0.1 (a random port), seeded
// with flavors, images, networks, zones, volumes and one key pair.
func NewServer(opt Options) *Server {
	return fakekit.Serve(NewHandler(opt), "")
}

// NewHandler returns a seeded fake that is not listening; serve it with
// your own server and set URL to its address (the catalog uses URL).
func NewHandler(opt Options) *Server {
	fakekit.Defaults(&opt, Options{
		DomainName: DemoDomainName, ProjectID: DemoProjectID, Username: DemoUsername,
		Password: DemoPassword, TokenTTL: time.Hour, BuildDelay: 30 * time.Millisecond,
		ActionDelay: 30 * time.Millisecond, DeleteDelay: 30 * time.Millisecond,
		Zones: []string{ZoneA, ZoneB}, Now: time.Now,
	})
	s := &Server{
		IdentityBase: fakekit.NewIdentityBase(opt.Now, opt.TokenTTL),
		opt:          opt,
		servers:      map[string]*server{},
		keypairs:     map[string]*keypair{},
		volumes:      map[string]*volume{},
		images:       map[string]image{},
		nextIP:       10,
	}
	s.seed()
	return s
}

// ComputeURL is the compute endpoint the token catalog advertises.
func (s *Server) ComputeURL() string { return s.URL + "/v2/" + s.opt.ProjectID }

// ComputeRequests reports how many compute requests arrived.
func (s *Server) ComputeRequests() int { return s.computeReqs.N() }

// RevokeTokens makes every token issued so far invalid (401 on use), as if
// they had died early.
func (s *Server) RevokeTokens() { s.Tokens.Revoke() }

// SetMaintenance switches K5's documented maintenance behaviour on or off:
// while on, server lists leave out the availability-zone information of
// servers outside the first zone (guide sections 1.1.5 and 1.2.5).
func (s *Server) SetMaintenance(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maintenance = on
}

// ServerStatus reports a server's current status and task state (after due
// transitions); ok is false when it does not exist.
func (s *Server) ServerStatus(id string) (status, taskState string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	srv := s.lookup(id)
	if srv == nil {
		return "", "", false
	}
	return srv.status, srv.task, true
}

// ServerMetadata returns a copy of a server's metadata (nil if unknown).
func (s *Server) ServerMetadata(id string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	srv := s.lookup(id)
	if srv == nil {
		return nil
	}
	m := make(map[string]string, len(srv.metadata))
	for k, v := range srv.metadata {
		m[k] = v
	}
	return m
}

// Zones returns the configured zones.
func (s *Server) Zones() []string { return slices.Clone(s.opt.Zones) }

var (
	randomHex = fakekit.RandomHex
	newUUID   = fakekit.NewUUID
)

// ServeHTTP routes identity and compute requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/v3/auth/tokens":
		s.handleToken(w, r)
	case strings.HasPrefix(r.URL.Path, blockStoragePrefix):
		s.handleBlockStorage(w, r)
	default:
		s.handleCompute(w, r)
	}
}

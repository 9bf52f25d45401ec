package fake

import (
	"encoding/pem"
	"fmt"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/computegw/computegw/internal/fakekit"
)

type address struct {
	network string
	ip      string
	mac     string
}

type attachment struct {
	id       string
	volumeID string
	device   string
}

// step is one pending transition: at `at` the server takes status/task and
// fn (if any) runs.
// step is what a pending transition does: enter (status, task) and run
// fn, or remove the server.
type step struct {
	status string
	task   string
	fn     func(*server)
	remove bool
}

type server struct {
	id, name     string
	status, task string
	prevStatus   string // status before a resize, to return to after confirm/revert
	flavorID     string
	prevFlavorID string
	imageID      string
	zone         string
	keyName      string
	created      time.Time
	updated      time.Time
	launched     time.Time
	metadata     map[string]string
	secGroups    []string
	addresses    []address
	attachments  []attachment
	bootVolumeID string
	deleteBoot   bool
	steps        fakekit.Steps[step]
}

type volume struct {
	id         string
	size       int
	zone       string
	attachedTo string
}

type keypair struct {
	name        string
	publicKey   string
	fingerprint string
	zone        string
	created     time.Time
}

type flavor struct {
	id, name         string
	vcpus, ram, disk int
}

type image struct {
	id, name        string
	minDisk, minRAM int
	restricted      bool
}

func (s *Server) seed() {
	s.flavors = []flavor{
		{FlavorS1, "S-1", 1, 4096, 0},
		{FlavorS2, "S-2", 2, 8192, 0},
		{FlavorM1, "M-1", 2, 16384, 0},
		{FlavorL1, "L-1", 4, 32768, 0},
	}
	for _, im := range []image{
		{ImageUbuntu, "Ubuntu Server 16.04 LTS (English) 01", 3, 0, false},
		{ImageCentOS, "CentOS 7.2 64bit (English) 01", 30, 0, false},
		{ImageWindows, "Windows Server 2012 R2 SE 64bit (English) 01", 80, 2048, false},
		{ImageNoMinDisk, "customer-imported-image", 0, 0, false},
		{ImageRestricted, "restricted-shared-image", 20, 0, true},
	} {
		s.images[im.id] = im
	}
	s.secGroups = []string{"default", SecurityGroup}
	for i, v := range []string{Volume1, Volume2, Volume3} {
		s.volumes[v] = &volume{id: v, size: 10 * (i + 1), zone: s.opt.Zones[0]}
	}
	pub, _, _ := generateKey()
	now := s.opt.Now().UTC()
	s.keypairs[KeyPairName] = &keypair{name: KeyPairName, publicKey: pub, fingerprint: fingerprint(pub), zone: s.opt.Zones[0], created: now}

	if s.opt.SeedInstances {
		zoneB := s.opt.Zones[len(s.opt.Zones)-1]
		s.addServer(&server{id: Instance1ID, name: "web-1", status: "ACTIVE", flavorID: FlavorS1, imageID: ImageUbuntu,
			zone: s.opt.Zones[0], keyName: KeyPairName, metadata: map[string]string{"role": "web"},
			secGroups: []string{"default", SecurityGroup}}, NetworkA, now.Add(-48*time.Hour), 20, true)
		s.addServer(&server{id: Instance2ID, name: "db-1", status: "SHUTOFF", flavorID: FlavorS2, imageID: ImageCentOS,
			zone: zoneB, keyName: KeyPairName, metadata: map[string]string{"role": "db"},
			secGroups: []string{"default"}}, NetworkB, now.Add(-24*time.Hour), 40, true)
	}
}

// addServer registers srv with an address on network and a boot volume.
// Callers hold s.mu (or are seeding).
func (s *Server) addServer(srv *server, network string, created time.Time, bootSize int, deleteBoot bool) {
	srv.created, srv.updated, srv.launched = created, created, created
	if srv.metadata == nil {
		srv.metadata = map[string]string{}
	}
	srv.addresses = append(srv.addresses, s.newAddress(network))
	vol := &volume{id: newUUID(), size: bootSize, zone: srv.zone, attachedTo: srv.id}
	s.volumes[vol.id] = vol
	srv.bootVolumeID, srv.deleteBoot = vol.id, deleteBoot
	srv.attachments = append(srv.attachments, attachment{id: s.attachmentID(vol.id), volumeID: vol.id, device: "/dev/vda"})
	s.servers[srv.id] = srv
	s.order = append(s.order, srv.id)
}

func (s *Server) attachmentID(volumeID string) string {
	if s.opt.AttachmentIDsEqualVolumeIDs {
		return volumeID
	}
	return newUUID()
}

func networkName(id string) string {
	switch id {
	case NetworkA:
		return "demo-net-a"
	case NetworkB:
		return "demo-net-b"
	}
	return "net-" + id[:min(8, len(id))]
}

func (s *Server) newAddress(network string) address {
	s.nextIP++
	third := 10
	if network == NetworkB {
		third = 20
	}
	return address{
		network: networkName(network),
		ip:      fmt.Sprintf("192.168.%d.%d", third, s.nextIP),
		mac:     fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", third, s.nextIP/256, s.nextIP%256),
	}
}

// lookup returns a live server after applying due transitions, or nil.
// Callers hold s.mu.
func (s *Server) lookup(id string) *server {
	srv := s.servers[id]
	if srv == nil {
		return nil
	}
	if !s.advance(srv, s.opt.Now()) {
		return nil
	}
	return srv
}

// advance applies the due steps of srv; false when the server is gone.
// Callers hold s.mu.
func (s *Server) advance(srv *server, now time.Time) bool {
	for due := range srv.steps.Due(now) {
		st := due.Do
		if st.remove {
			s.removeServer(srv)
			return false
		}
		srv.status, srv.task = st.status, st.task
		srv.updated = due.At.UTC()
		if st.fn != nil {
			st.fn(srv)
		}
	}
	return true
}

func (s *Server) removeServer(srv *server) {
	for _, a := range srv.attachments {
		if v := s.volumes[a.volumeID]; v != nil {
			if a.volumeID == srv.bootVolumeID && srv.deleteBoot {
				delete(s.volumes, a.volumeID)
			} else {
				v.attachedTo = ""
			}
		}
	}
	delete(s.servers, srv.id)
	for i, id := range s.order {
		if id == srv.id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
}

// transition puts srv into (status, task) now and schedules the final
// state after delay.
func (s *Server) transition(srv *server, status, task string, delay time.Duration, final string, fn func(*server)) {
	now := s.opt.Now().UTC()
	srv.status, srv.task, srv.updated = status, task, now
	srv.steps.Set(now.Add(delay), step{status: final, task: "", fn: fn})
}

// allServers returns live servers, newest first (Nova's default order).
// Callers hold s.mu.
func (s *Server) allServers() []*server {
	now := s.opt.Now()
	out := make([]*server, 0, len(s.order))
	for i := len(s.order) - 1; i >= 0; i-- {
		srv := s.servers[s.order[i]]
		if srv != nil && s.advance(srv, now) {
			out = append(out, srv)
		}
	}
	return out
}

func vmState(status string) string {
	switch status {
	case "BUILD":
		return "building"
	case "SHUTOFF":
		return "stopped"
	case "VERIFY_RESIZE", "REVERT_RESIZE":
		return "resized"
	case "SHELVED":
		return "shelved"
	case "SHELVED_OFFLOADED":
		return "shelved_offloaded"
	case "ERROR":
		return "error"
	}
	return "active"
}

func powerState(status string) int {
	switch status {
	case "BUILD":
		return 0
	case "SHUTOFF", "SHELVED", "SHELVED_OFFLOADED":
		return 4
	}
	return 1
}

// generateKey makes an OpenSSH ed25519 key pair (fast, unlike RSA): the
// private key in OpenSSH's own PEM form.
func generateKey() (public, private string, err error) {
	k, err := fakekit.GenerateKeyPair("Generated-by-Nova")
	if err != nil {
		return "", "", err
	}
	block, err := ssh.MarshalPrivateKey(k.Private, "Generated-by-Nova")
	if err != nil {
		return "", "", err
	}
	return k.PublicKey, string(pem.EncodeToMemory(block)), nil
}

// fingerprint is Nova's MD5 fingerprint of an OpenSSH public key; "" when
// the key does not parse.
func fingerprint(publicKey string) string {
	pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(publicKey))
	if err != nil {
		return ""
	}
	return fakekit.MD5Fingerprint(pk.Marshal())
}

package fake

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/computegw/computegw/internal/fakekit"
)

func (s *Server) renderFlavor(f *flavor, detail bool) map[string]any {
	m := map[string]any{"id": f.ID, "name": f.Name, "links": s.link("flavors", f.ID, true)}
	if !detail {
		return m
	}
	m["ram"] = f.RAM
	m["OS-FLV-DISABLED:disabled"] = false
	m["vcpus"] = f.VCPUs
	m["extra_specs"] = map[string]any{"flavor_type": f.Type}
	m["swap"] = "" // sic: the guide's example shows an empty string
	m["os-flavor-access:is_public"] = true
	m["rxtx_factor"] = 1.0
	m["OS-FLV-EXT-DATA:ephemeral"] = f.Ephemeral
	m["disk"] = f.Disk
	return m
}

func (s *Server) handleListFlavors(detail bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		minDisk, minRAM := 0, 0
		for k, p := range map[string]*int{"minDisk": &minDisk, "minRam": &minRAM} {
			if v := q.Get(k); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					badRequest(w, "Invalid %s filter [%s]", k, v)
					return
				}
				*p = n
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		out := []any{}
		for _, f := range s.flavors {
			if f.Disk >= minDisk && f.RAM >= minRAM {
				out = append(out, s.renderFlavor(f, detail))
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"flavors": out})
	}
}

func (s *Server) handleGetFlavor(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.flavor(r.PathValue("id"))
	if f == nil {
		notFound(w, "Flavor %s could not be found.", r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"flavor": s.renderFlavor(f, true)})
}

func (s *Server) handleZones(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"availabilityZoneInfo": []any{
		map[string]any{"zoneState": map[string]any{"available": true}, "zoneName": ZoneA},
		map[string]any{"zoneState": map[string]any{"available": true}, "zoneName": ZoneB},
	}})
}

func (s *Server) handleListKeypairs(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, k := range fakekit.SortedValues(s.keypairs) {
		out = append(out, map[string]any{"keypair": map[string]any{
			"public_key": k.PublicKey, "name": k.Name, "fingerprint": k.Fingerprint,
		}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"keypairs": out})
}

func (s *Server) handleGetKeypair(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keypairs[r.PathValue("name")]
	if k == nil {
		notFound(w, "Keypair %s not found for user b6ab578c20c94306ac1f41ffc4415b29", r.PathValue("name"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"keypair": map[string]any{
		"public_key":  k.PublicKey,
		"user_id":     "826a1213b3f746829515486965690dfe",
		"name":        k.Name,
		"deleted":     false,
		"created_at":  k.Created.UTC().Format("2006-01-02T15:04:05.000000"),
		"updated_at":  nil,
		"fingerprint": k.Fingerprint,
		"deleted_at":  nil,
		"id":          k.ID,
	}})
}

func validKeypairName(n string) bool {
	if n == "" || len(n) > 255 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_ .@", c)) {
			return false
		}
	}
	return true
}

func (s *Server) handleCreateKeypair(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Keypair *struct {
			Name      string `json:"name"`
			PublicKey string `json:"public_key"`
		} `json:"keypair"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Keypair == nil || !validKeypairName(req.Keypair.Name) {
		badRequest(w, "Keypair data is invalid: Keypair name contains unsafe characters")
		return
	}
	pub, priv := req.Keypair.PublicKey, ""
	if pub == "" {
		var err error
		pub, priv, err = generateKey()
		if err != nil {
			writeFault(w, http.StatusInternalServerError, "computeFault", "key generation failed")
			return
		}
	}
	fp := fingerprint(pub)
	if fp == "" {
		badRequest(w, "Keypair data is invalid: failed to generate fingerprint")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keypairs[req.Keypair.Name] != nil {
		conflict(w, "Key pair '%s' already exists.", req.Keypair.Name)
		return
	}
	s.keypairSeq++
	s.keypairs[req.Keypair.Name] = &keypair{
		ID: s.keypairSeq, Name: req.Keypair.Name, PublicKey: pub, Fingerprint: fp, Created: s.opt.Now(),
	}
	out := map[string]any{
		"fingerprint": fp, "name": req.Keypair.Name, "public_key": pub,
		"user_id": "436f727b7c9142f896ddd56be591dd7f",
	}
	if priv != "" {
		out["private_key"] = priv
	}
	writeJSON(w, http.StatusOK, map[string]any{"keypair": out})
}

func (s *Server) handleDeleteKeypair(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := r.PathValue("name")
	if s.keypairs[name] == nil {
		notFound(w, "Keypair %s not found for user b6ab578c20c94306ac1f41ffc4415b29", name)
		return
	}
	delete(s.keypairs, name)
	w.WriteHeader(http.StatusAccepted)
}

// fingerprint returns the OpenSSH SHA256 fingerprint of an authorized_keys
// line, or "" when it is not one.
func fingerprint(pub string) string {
	typ, blob, err := fakekit.ParseAuthorizedKey(pub)
	if err != nil || !strings.HasPrefix(typ, "ssh-") && !strings.HasPrefix(typ, "ecdsa-") {
		return ""
	}
	return fakekit.SHA256Fingerprint(blob)
}

// generateKey makes an ed25519 key pair: the public key as an
// authorized_keys line, the private key as PKCS#8 PEM.
func generateKey() (pub, priv string, err error) {
	k, err := fakekit.GenerateKeyPair("Generated-by-Nova")
	return k.PublicKey, k.PrivateKeyPEM, err
}

package fake

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/computegw/computegw/internal/fakekit"
)

type keyPair struct {
	name, publicKey, privateKey, fingerprint string
	created                                  time.Time
}

func (s *Server) getKeyPairs(w http.ResponseWriter, r *http.Request) {
	rows := []any{}
	if name := r.URL.Query().Get("name"); name != "" {
		kp, ok := s.keyPairs[name]
		if !ok {
			writeFail(w, http.StatusOK, 13404, fmt.Sprintf("Keypair %s not found.", name))
			return
		}
		// createdAt is shown only when one key pair is asked for by name.
		rows = append(rows, map[string]any{
			"name": kp.name, "publicKey": kp.publicKey, "fingerprint": kp.fingerprint,
			"createdAt": kp.created.UTC().Format("2006-01-02T15:04:05.000000"),
		})
	} else {
		for _, name := range fakekit.SortedKeys(s.keyPairs) {
			kp := s.keyPairs[name]
			rows = append(rows, map[string]any{"name": kp.name, "publicKey": kp.publicKey, "fingerprint": kp.fingerprint})
		}
	}
	writeOK(w, map[string]any{"keypairs": rows})
}

func (s *Server) createKeyPair(w http.ResponseWriter, r *http.Request) {
	var req struct {
		KeyPair struct {
			Name      string `json:"name"`
			PublicKey string `json:"publicKey"`
		} `json:"keypair"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	name := req.KeyPair.Name
	switch {
	case name == "" || len(name) > 255 || strings.ContainsAny(name, "/\\ \t\n"):
		writeFail(w, http.StatusOK, -4, "Invalid parameters : keypair name is invalid")
		return
	case s.keyPairs[name] != nil:
		writeFail(w, http.StatusOK, 13409, fmt.Sprintf("Key pair '%s' already exists.", name))
		return
	}
	var kp *keyPair
	if pub := strings.TrimSpace(req.KeyPair.PublicKey); pub != "" {
		blob, err := parseAuthorizedKey(pub)
		if err != nil {
			writeFail(w, http.StatusOK, 13400, "Keypair data is invalid: "+err.Error())
			return
		}
		kp = &keyPair{name: name, publicKey: pub, fingerprint: fingerprint(blob), created: s.now()}
	} else {
		kp = s.generateKeyPair(name)
	}
	body := map[string]any{"name": kp.name, "publicKey": kp.publicKey, "fingerprint": kp.fingerprint}
	if kp.privateKey != "" {
		body["privateKey"] = kp.privateKey
	}
	kp.privateKey = "" // handed out once, never stored
	s.keyPairs[name] = kp
	writeOK(w, map[string]any{"keypair": body})
}

func (s *Server) deleteKeyPair(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if name == "" {
		writeFail(w, http.StatusOK, -4, "Invalid parameters : name is required")
		return
	}
	if _, ok := s.keyPairs[name]; !ok {
		writeFail(w, http.StatusOK, 13404, fmt.Sprintf("Keypair %s not found.", name))
		return
	}
	delete(s.keyPairs, name)
	writeOK(w, nil)
}

// generateKeyPair makes an ed25519 key: an OpenSSH public key, a PKCS#8 PEM
// private key and an MD5 fingerprint as Nova prints it.
func (s *Server) generateKeyPair(name string) *keyPair {
	k, err := fakekit.GenerateKeyPair("Generated-by-Nova")
	if err != nil {
		panic(fmt.Sprintf("fake: generate key: %v", err))
	}
	return &keyPair{
		name:        name,
		publicKey:   k.PublicKey,
		privateKey:  k.PrivateKeyPEM,
		fingerprint: fakekit.MD5Fingerprint(k.Blob),
		created:     s.now(),
	}
}

// keyTypes are the key types TOAST accepts.
var keyTypes = []string{"ssh-rsa", "ssh-ed25519", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"}

// parseAuthorizedKey checks "TYPE BASE64 [comment]", that TOAST accepts the
// type and that the blob names the same key type.
func parseAuthorizedKey(line string) ([]byte, error) {
	if f := strings.Fields(line); len(f) >= 2 && !slices.Contains(keyTypes, f[0]) {
		return nil, fmt.Errorf("unsupported key type %q", f[0])
	}
	_, blob, err := fakekit.ParseAuthorizedKey(line)
	return blob, err
}

func fingerprint(blob []byte) string { return fakekit.MD5Fingerprint(blob) }

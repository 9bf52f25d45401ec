package fake

import (
	"bytes"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"time"
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
		for _, name := range sortedKeys(s.keyPairs) {
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
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(fmt.Sprintf("fake: generate key: %v", err))
	}
	blob := sshString("ssh-ed25519")
	blob = append(blob, sshString(string(pub))...)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		panic(fmt.Sprintf("fake: marshal key: %v", err))
	}
	return &keyPair{
		name:        name,
		publicKey:   "ssh-ed25519 " + base64.StdEncoding.EncodeToString(blob) + " Generated-by-Nova",
		privateKey:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		fingerprint: fingerprint(blob),
		created:     s.now(),
	}
}

func sshString(s string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(s)))
	return append(b, s...)
}

// parseAuthorizedKey checks "TYPE BASE64 [comment]" and that the blob names
// the same key type.
func parseAuthorizedKey(line string) ([]byte, error) {
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return nil, fmt.Errorf("not an OpenSSH public key")
	}
	switch fields[0] {
	case "ssh-rsa", "ssh-ed25519", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521":
	default:
		return nil, fmt.Errorf("unsupported key type %q", fields[0])
	}
	blob, err := base64.StdEncoding.DecodeString(fields[1])
	if err != nil {
		return nil, fmt.Errorf("key data is not base64")
	}
	if len(blob) < 4 {
		return nil, fmt.Errorf("key data is too short")
	}
	n := binary.BigEndian.Uint32(blob)
	if uint64(n) > uint64(len(blob)-4) || !bytes.Equal(blob[4:4+n], []byte(fields[0])) {
		return nil, fmt.Errorf("key data does not match key type %q", fields[0])
	}
	return blob, nil
}

func fingerprint(blob []byte) string {
	sum := md5.Sum(blob)
	h := hex.EncodeToString(sum[:])
	parts := make([]string, 0, len(sum))
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

package k5

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/computegw/computegw/adapters/k5/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/sshkey"
)

// TestGeneratedKeyIsOpenSSH: a generated key is answered in the OpenSSH
// format whether K5 (Nova) sends it so (the fake) or as PKCS#1 PEM, as
// older Nova releases do.
func TestGeneratedKeyIsOpenSSH(t *testing.T) {
	a := fakeAdapter(t, newFake(t, fake.Options{}))
	kp, err := a.CreateKeyPair(context.Background(), driver.CreateKeyPairRequest{Name: "gen-key"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sshkey.Check(kp.PrivateKey, kp.PublicKey); err != nil {
		t.Errorf("from the fake: %v", err)
	}

	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := ssh.NewPublicKey(rk.Public())
	pubLine := string(ssh.MarshalAuthorizedKey(pub))
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}))
	resp, _ := json.Marshal(map[string]any{"keypair": map[string]any{"name": "gen", "fingerprint": "1e:2c", "public_key": pubLine,
		"private_key": pkcs1, "user_id": "fake"}})
	s := newScript(t, exchange{method: "POST", path: "/os-keypairs", status: 200, body: `{"keypair": {"name": "gen"}}`, resp: string(resp)})
	kp, err = s.adapter(t).CreateKeyPair(context.Background(), driver.CreateKeyPairRequest{Name: "gen"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sshkey.Check(kp.PrivateKey, pubLine); err != nil {
		t.Errorf("from PKCS#1: %v", err)
	}
}

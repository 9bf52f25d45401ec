package k5

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/keypairs"
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

// TestCreateKeyPairAnswerShapes: CreateKeyPair's answer is decoded once into
// k5KeyPair (not through keypairs.Create's map): the guide's example answer
// (200, and 201 which Nova also sends) reads as gophercloud's KeyPair reads
// it, with K5's availability_zone when present; an answer without the
// keypair object or that does not decode is K5's malformed answer.
func TestCreateKeyPairAnswerShapes(t *testing.T) {
	const name = "keypair-dab428fe-6186-4a14-b3de-92131f76cd39"
	create := func(t *testing.T, status int, resp string) (*driver.KeyPair, error) {
		t.Helper()
		s := newScript(t, exchange{method: "POST", path: "/os-keypairs", status: status, body: `{"keypair": {"name": "` + name + `"}}`, resp: resp})
		kp, err := s.adapter(t).CreateKeyPair(context.Background(), driver.CreateKeyPairRequest{Name: name})
		s.done(t)
		return kp, err
	}
	var ref struct {
		Keypair keypairs.KeyPair `json:"keypair"`
	}
	if err := json.Unmarshal([]byte(guideCreateKeyPairResponse), &ref); err != nil {
		t.Fatal(err)
	}
	for _, status := range []int{200, 201} {
		kp, err := create(t, status, guideCreateKeyPairResponse)
		if err != nil {
			t.Fatalf("%d: %v", status, err)
		}
		if kp.Name != ref.Keypair.Name || kp.Fingerprint != ref.Keypair.Fingerprint || kp.PublicKey != ref.Keypair.PublicKey || kp.Zone != "" {
			t.Errorf("%d: %+v, gophercloud read %+v", status, kp, ref.Keypair)
		}
	}
	kp, err := create(t, 200, `{"keypair": {"name": "`+name+`", "fingerprint": "1e:2c", "public_key": "`+guideImportPublicKey+`", "availability_zone": "jp-east-1b", "type": "ssh"}}`)
	if err != nil || kp.Zone != "jp-east-1b" || kp.Type != "ssh" || kp.Fingerprint != "1e:2c" {
		t.Errorf("with zone and type: %+v %v", kp, err)
	}
	for _, resp := range []string{`{}`, `{"keypair": null}`, `{"keypair": {"name": 5}}`, `[]`, `{"keypair": {`, `not json`} {
		_, err := create(t, 200, resp)
		de, ok := errors.AsType[*driver.Error](err)
		if !ok || de.Code != driver.CodeUnavailable || !strings.Contains(de.Message, "malformed body") {
			t.Errorf("%s: %v, want K5's malformed answer", resp, err)
		}
	}
}

package toastv1_test

import (
	"strings"
	"testing"

	"github.com/computegw/computegw/adapters/toastv1/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/sshkey"
)

// TestGeneratedKeyIsOpenSSH: TOAST hands out a generated key as PKCS#8 PEM;
// the adapter answers it in the gateway's one format, OpenSSH, for the same
// key.
func TestGeneratedKeyIsOpenSSH(t *testing.T) {
	a := newAdapter(t, newFake(t, fake.Options{Demo: true}), nil)
	kp, err := a.CreateKeyPair(ctx(t), driver.CreateKeyPairRequest{Name: "gen-key"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sshkey.Check(kp.PrivateKey, kp.PublicKey); err != nil {
		t.Errorf("generated private key: %v (%.40q)", err, kp.PrivateKey)
	}
	if !strings.Contains(kp.PrivateKey, "\n-----END OPENSSH PRIVATE KEY-----") {
		t.Errorf("private key not PEM-framed: %.40q", kp.PrivateKey)
	}
}

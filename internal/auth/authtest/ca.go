package authtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"time"
)

// CA is a test certificate authority.
type CA struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
	PEM  []byte // the CA certificate
}

func nextSerial() *big.Int {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return new(big.Int).SetBytes(b)
}

// keyAndTemplate is a fresh P-256 key and a certificate template for cn,
// valid from an hour ago for a day, with usage.
func keyAndTemplate(cn string, usage x509.KeyUsage) (*ecdsa.PrivateKey, *x509.Certificate) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return key, &x509.Certificate{
		SerialNumber: nextSerial(), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: usage,
	}
}

// NewCA makes a self-signed CA named cn.
func NewCA(cn string) *CA {
	key, tmpl := keyAndTemplate(cn, x509.KeyUsageCertSign|x509.KeyUsageDigitalSignature)
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &CA{Cert: cert, key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// Pool is a pool holding the CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Server issues a server certificate for 127.0.0.1 and localhost, as PEM.
func (ca *CA) Server(cn string) (certPEM, keyPEM []byte) {
	return ca.issue(cn, true)
}

// Client issues a client certificate with subject CN cn, as PEM.
func (ca *CA) Client(cn string) (certPEM, keyPEM []byte) {
	return ca.issue(cn, false)
}

// ClientTLS is a client certificate with subject CN cn, ready for tls.Config.
func (ca *CA) ClientTLS(cn string) tls.Certificate {
	c, k := ca.Client(cn)
	pair, err := tls.X509KeyPair(c, k)
	if err != nil {
		panic(err)
	}
	return pair
}

func (ca *CA) issue(cn string, server bool) ([]byte, []byte) {
	key, tmpl := keyAndTemplate(cn, x509.KeyUsageDigitalSignature)
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames = []string{"localhost"}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		panic(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

package fakekit

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// MD5Fingerprint is the colon-separated MD5 fingerprint of a key blob, as
// older Nova prints it ("3f:a2:…").
func MD5Fingerprint(blob []byte) string {
	sum := md5.Sum(blob)
	h := hex.EncodeToString(sum[:])
	parts := make([]string, 0, len(sum))
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// SHA256Fingerprint is OpenSSH's SHA-256 fingerprint of a key blob
// ("SHA256:…", unpadded base64).
func SHA256Fingerprint(blob []byte) string {
	sum := sha256.Sum256(blob)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

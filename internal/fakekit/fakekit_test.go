package fakekit

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/computegw/computegw/internal/testclock"
)

func TestListenServesUntilClose(t *testing.T) {
	l := Listen(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusTeapot, map[string]string{"path": r.URL.Path})
	}))
	if !strings.HasPrefix(l.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %q is not a loopback URL", l.URL)
	}
	resp, b := get(t, l.URL+"/x")
	if resp.StatusCode != http.StatusTeapot || resp.Header.Get("Content-Type") != "application/json" || b != "{\"path\":\"/x\"}\n" {
		t.Fatalf("answer %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	l.Close()
	assertClosed(t, l.URL+"/x")
	var none *Listener
	none.Close() // a fake without a listener closes as a no-op
}

// get fetches url and reads the answer's body.
func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// assertClosed fails unless nothing answers at url any more.
func assertClosed(t *testing.T, url string) {
	t.Helper()
	http.DefaultClient.CloseIdleConnections()
	if _, err := http.Get(url); err == nil {
		t.Fatal("still serving after Close")
	}
}

func TestWriteJSONAs(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteJSONAs(rec, "application/json;charset=UTF-8", 201, []int{1})
	if rec.Code != 201 || rec.Header().Get("Content-Type") != "application/json;charset=UTF-8" || rec.Body.String() != "[1]\n" {
		t.Fatalf("got %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
}

func TestUnmarshalStrict(t *testing.T) {
	var v struct {
		A int `json:"a"`
	}
	if err := UnmarshalStrict([]byte(`{"a": 1}`), &v); err != nil || v.A != 1 {
		t.Fatalf("valid body: %v, %+v", err, v)
	}
	if err := UnmarshalStrict([]byte(`{"a": 1, "b": 2}`), &v); err == nil || !strings.Contains(err.Error(), `unknown field "b"`) {
		t.Errorf("unknown field: %v", err)
	}
	if err := UnmarshalStrict([]byte(`{"a": 1} {}`), &v); !errors.Is(err, ErrTrailingData) {
		t.Errorf("trailing data: %v", err)
	}
	if err := UnmarshalStrict([]byte(`{"a": `), &v); err == nil {
		t.Error("truncated body accepted")
	}
}

func TestJSONErrorText(t *testing.T) {
	var v struct {
		A int `json:"a"`
	}
	for body, want := range map[string]string{
		`{"a": x}`:   "syntax error at offset 7",
		`{"a": "1"}`: "field a has the wrong type",
	} {
		if got := JSONErrorText(UnmarshalStrict([]byte(body), &v)); got != want {
			t.Errorf("%s: %q, want %q", body, got, want)
		}
	}
	if got := JSONErrorText(errors.New("other")); got != "unreadable body" {
		t.Errorf("other error: %q", got)
	}
}

func TestIDs(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		u := NewUUID()
		if !uuid.MatchString(u) || seen[u] {
			t.Fatalf("NewUUID %q: not a fresh version-4 UUID", u)
		}
		seen[u] = true
	}
	if h := RandomHex(16); len(h) != 32 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Fatalf("RandomHex(16) = %q", h)
	}
	if got := SortedKeys(map[string]int{"b": 1, "a": 2, "c": 3}); strings.Join(got, ",") != "a,b,c" {
		t.Fatalf("SortedKeys: %v", got)
	}
	if got := SortedValues(map[string]int{"b": 1, "a": 2, "c": 3}); fmt.Sprint(got) != "[2 1 3]" {
		t.Fatalf("SortedValues: %v", got)
	}
}

func TestTokens(t *testing.T) {
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	ts := NewTokens(clock.Now, time.Hour)
	ts.Counted()
	a := ts.Issue("a", "tenant-1")
	if !a.Expires.Equal(a.Issued.Add(time.Hour)) || a.Scope != "tenant-1" {
		t.Fatalf("issued %+v", a)
	}
	clock.Add(59 * time.Minute)
	if got, ok := ts.Valid("a"); !ok || got != a {
		t.Fatalf("live token: %+v %v", got, ok)
	}
	if _, ok := ts.Valid("b"); ok {
		t.Fatal("unknown token valid")
	}
	clock.Add(time.Minute)
	if _, ok := ts.Valid("a"); ok {
		t.Fatal("token valid at its expiry")
	}
	ts.Issue("c", "")
	ts.Revoke()
	if _, ok := ts.Valid("c"); ok {
		t.Fatal("revoked token valid")
	}
	ts.Counted()
	if n := ts.Requests(); n != 2 {
		t.Fatalf("Requests() = %d, want 2", n)
	}
}

func TestSteps(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var s Steps[string]
	s.Then(t0, time.Second, "a")
	s.Then(t0.Add(time.Hour), time.Second, "b") // chained after "a", not after from
	s.Then(t0, time.Second, "c")
	var got []string
	for st := range s.Due(t0.Add(2 * time.Second)) {
		got = append(got, st.Do+"@"+st.At.Sub(t0).String())
	}
	if strings.Join(got, " ") != "a@1s b@2s" || !s.Pending() {
		t.Fatalf("due at +2s: %v (pending %v)", got, s.Pending())
	}
	for st := range s.Due(t0.Add(time.Hour)) {
		if st.Do != "c" {
			t.Fatalf("then %q", st.Do)
		}
	}
	if s.Pending() {
		t.Fatal("still pending")
	}
	s.Then(t0, time.Second, "x")
	s.Then(t0, time.Second, "y")
	for range s.Due(t0.Add(time.Minute)) {
		break // stopping leaves the rest
	}
	if !s.Pending() {
		t.Fatal("break dropped the remaining step")
	}
	s.Set(t0.Add(5*time.Second), "z")
	for st := range s.Due(t0.Add(time.Minute)) {
		if st.Do != "z" {
			t.Fatalf("Set left %q", st.Do)
		}
	}
	s.Then(t0, 0, "w")
	s.Clear()
	if s.Pending() {
		t.Fatal("Clear left a step")
	}
}

func TestKeyPairs(t *testing.T) {
	kp, err := GenerateKeyPair("Generated-by-Nova")
	if err != nil {
		t.Fatal(err)
	}
	pk, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(kp.PublicKey))
	if err != nil || comment != "Generated-by-Nova" || pk.Type() != "ssh-ed25519" {
		t.Fatalf("public key %q: %v (comment %q)", kp.PublicKey, err, comment)
	}
	block, _ := pem.Decode([]byte(kp.PrivateKeyPEM))
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("private key is not PKCS#8 PEM: %q", kp.PrivateKeyPEM)
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		t.Fatal(err)
	}
	typ, blob, err := ParseAuthorizedKey(kp.PublicKey)
	if err != nil || typ != "ssh-ed25519" || string(blob) != string(pk.Marshal()) || string(kp.Blob) != string(blob) {
		t.Fatalf("ParseAuthorizedKey: %q %v", typ, err)
	}
	if got, want := SHA256Fingerprint(blob), ssh.FingerprintSHA256(pk); got != want {
		t.Errorf("SHA256Fingerprint %q, want %q", got, want)
	}
	if got, want := MD5Fingerprint(blob), ssh.FingerprintLegacyMD5(pk); got != want {
		t.Errorf("MD5Fingerprint %q, want %q", got, want)
	}
	for _, bad := range []string{"ssh-ed25519", "ssh-ed25519 !!!", "ssh-ed25519 AAAA", "ssh-rsa " + strings.Fields(kp.PublicKey)[1]} {
		if _, _, err := ParseAuthorizedKey(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDefaults(t *testing.T) {
	type options struct {
		Name    string
		TTL     time.Duration
		Quota   int
		Zones   []string
		Now     func() time.Time
		Seed    bool
		private string
	}
	def := options{Name: "demo", TTL: time.Hour, Quota: 100, Zones: []string{"a"}, Now: time.Now, private: "p"}
	var zero options
	Defaults(&zero, def)
	if zero.Name != "demo" || zero.TTL != time.Hour || zero.Quota != 100 || len(zero.Zones) != 1 || zero.Now == nil || zero.private != "" {
		t.Fatalf("zero options: %+v", zero)
	}
	neg := options{TTL: -time.Second, Quota: -1, Zones: []string{}}
	Defaults(&neg, def)
	if neg.TTL != time.Hour || neg.Quota != 100 || len(neg.Zones) != 1 {
		t.Fatalf("negative and empty options: %+v", neg)
	}
	set := options{Name: "mine", TTL: time.Minute, Quota: 3, Zones: []string{"x", "y"}, Seed: true}
	Defaults(&set, def)
	if set.Name != "mine" || set.TTL != time.Minute || set.Quota != 3 || len(set.Zones) != 2 || !set.Seed {
		t.Fatalf("set options changed: %+v", set)
	}
}

package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/auth/authtest"
	"github.com/computegw/computegw/internal/eventually"
	"github.com/computegw/computegw/internal/rpcdetail"
)

// secured is a gateway started with TLS (and maybe mTLS) and JWT auth, with
// two clouds, cloud-a and cloud-b, each a fake NHN server, and the test's
// own identity provider serving its key set (jwks_url).
type secured struct {
	*gateway
	idp     *authtest.Provider
	ca      *authtest.CA // signs the server and the accepted client certificates
	dir     string
	rootTLS *tls.Config // trusts the server
}

const securityPolicy = `
policy:
  - principals: ["group:platform-admins"]
    clouds: ["*"]
    role: admin
  - principals: ["group:viewers", "cert:readonly-bot"]
    clouds: ["*"]
    role: viewer
  - principals: ["user:olga", "cert:deploy-bot"]
    clouds: [cloud-a]
    role: operator
`

func startSecured(t *testing.T, mTLS bool) *secured {
	return startSecuredKeys(t, mTLS, true)
}

// startSecuredKeys: withJWKSURL false leaves auth.jwt.jwks_url out, so the
// gateway finds the key set through OIDC discovery at the issuer.
func startSecuredKeys(t *testing.T, mTLS, withJWKSURL bool) *secured {
	t.Helper()
	s := &secured{idp: authtest.NewProvider("", "computegw"), ca: authtest.NewCA("computegw test CA"), dir: t.TempDir()}
	idpSrv := s.idp.Serve()
	t.Cleanup(idpSrv.Close)
	a := nhnfake.NewServer(nhnfake.Options{SeedInstances: true})
	t.Cleanup(a.Close)
	b := nhnfake.NewServer(nhnfake.Options{SeedInstances: true})
	t.Cleanup(b.Close)
	cert, key := s.ca.Server("localhost")
	certFile, keyFile := s.file(t, "tls.crt", cert), s.file(t, "tls.key", key)
	clientCA := ""
	if mTLS {
		clientCA = "\n  client_ca_file: " + s.file(t, "clients-ca.crt", s.ca.PEM)
	}
	jwksURL := ""
	if withJWKSURL {
		jwksURL = "\n    jwks_url: " + s.idp.JWKSURL()
	}
	cloud := func(name, url string) string {
		return fmt.Sprintf("  - {name: %s, dialect: nhnv2, identity_endpoint: %s, tenant_id: %s, username: %s, password_env: E2E_NHN_PASSWORD}\n",
			name, url, nhnfake.DemoTenantID, nhnfake.DemoUsername)
	}
	cfg := fmt.Sprintf(`http_addr: 127.0.0.1:1
grpc_addr: 127.0.0.1:1
admin_addr: 127.0.0.1:0
tls:
  cert_file: %s
  key_file: %s%s
auth:
  jwt:
    issuer: %s
    audience: computegw%s
clouds:
%s%s%s`, certFile, keyFile, clientCA, s.idp.Issuer, jwksURL, cloud("cloud-a", a.URL), cloud("cloud-b", b.URL), securityPolicy)
	s.gateway = start(t, []string{"E2E_NHN_PASSWORD=" + nhnfake.DemoPassword}, "--config", s.file(t, "computegw.yaml", []byte(cfg)))
	s.rootTLS = &tls.Config{RootCAs: s.ca.Pool(), ServerName: "localhost"}
	return s
}

func (s *secured) file(t *testing.T, name string, data []byte) string {
	t.Helper()
	return writeFileIn(t, s.dir, name, string(data))
}

// tlsWith is the client TLS config, presenting certs.
func (s *secured) tlsWith(certs ...tls.Certificate) *tls.Config {
	c := s.rootTLS.Clone()
	c.Certificates = certs
	return c
}

func (s *secured) grpcClient(t *testing.T, cfg *tls.Config) (pb.ComputeServiceClient, *grpc.ClientConn) {
	t.Helper()
	conn := dial(t, s.grpcAddr, credentials.NewTLS(cfg))
	return pb.NewComputeServiceClient(conn), conn
}

func bearer(t *testing.T, token string) context.Context {
	c := ctx(t)
	if token != "" {
		c = metadata.AppendToOutgoingContext(c, "authorization", "Bearer "+token)
	}
	return c
}

type restAnswer struct {
	code   int
	header http.Header
	body   []byte
}

func (r restAnswer) reason() string {
	var st struct {
		Details []struct{ Reason string }
	}
	_ = json.Unmarshal(r.body, &st)
	if len(st.Details) == 0 {
		return ""
	}
	return st.Details[0].Reason
}

func (s *secured) restWith(t *testing.T, cfg *tls.Config, token, method, path string, body string) restAnswer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequestWithContext(ctx(t), method, "https://"+s.httpAddr+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg.Clone(), ForceAttemptHTTP2: true}, Timeout: 30 * time.Second}
	defer c.CloseIdleConnections()
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return restAnswer{res.StatusCode, res.Header, data}
}

func (s *secured) rest(t *testing.T, token, method, path, body string) restAnswer {
	t.Helper()
	return s.restWith(t, s.rootTLS, token, method, path, body)
}

func wantGRPC(t *testing.T, what string, err error, code codes.Code, reason string) {
	t.Helper()
	if status.Code(err) != code || rpcdetail.Reason(err) != reason {
		t.Errorf("%s: gRPC %v, want %s/%s", what, err, code, reason)
	}
}

func wantREST(t *testing.T, what string, r restAnswer, code int, reason string) {
	t.Helper()
	if r.code != code || r.reason() != reason {
		t.Errorf("%s: REST %d %s, want %d/%s", what, r.code, r.body, code, reason)
	}
	if code == 401 && r.header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("%s: REST 401 without WWW-Authenticate: Bearer (%q)", what, r.header.Get("WWW-Authenticate"))
	}
}

// firstInstance is a seeded instance of cloud, found as an admin.
func (s *secured) firstInstance(t *testing.T, c pb.ComputeServiceClient, admin, cloud string) string {
	t.Helper()
	res, err := c.ListInstances(bearer(t, admin), &pb.ListInstancesRequest{Parent: "clouds/" + cloud})
	if err != nil || len(res.GetInstances()) == 0 {
		t.Fatalf("admin ListInstances %s: %v %v", cloud, err, res)
	}
	return res.GetInstances()[0].GetName()
}

// TestSecurityJWT: TLS and JWT over gRPC and REST, against the real binary.
func TestSecurityJWT(t *testing.T) {
	s := startSecured(t, false)
	c, conn := s.grpcClient(t, s.rootTLS)
	p := s.idp
	admin := p.Token("ada@example.com", "platform-admins")
	viewer := p.Token("vic@example.com", "viewers")
	operatorA := p.Token("olga")
	nobody := p.Token("nobody@example.com")
	instA := s.firstInstance(t, c, admin, "cloud-a")
	instB := s.firstInstance(t, c, admin, "cloud-b")

	t.Run("REST over TLS speaks HTTP/2", func(t *testing.T) {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: s.rootTLS.Clone(), ForceAttemptHTTP2: true}}
		defer c.CloseIdleConnections()
		res, err := c.Get("https://" + s.httpAddr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.ProtoMajor != 2 {
			t.Errorf("REST answered over %s, want HTTP/2", res.Proto)
		}
	})

	t.Run("health is open", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			if r := s.rest(t, "", "GET", path, ""); r.code != 200 {
				t.Errorf("%s without a token: %d", path, r.code)
			}
		}
		res, err := healthpb.NewHealthClient(conn).Check(ctx(t), &healthpb.HealthCheckRequest{Service: "computegw.v1.ComputeService"})
		if err != nil || res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("gRPC health without a token: %v %v", res, err)
		}
	})

	t.Run("bad credentials are UNAUTHENTICATED", func(t *testing.T) {
		now := time.Now()
		bad := map[string]string{
			"no token":      "",
			"expired":       p.Sign(p.Current(), authtest.Claims{"sub": "ada", "groups": []string{"platform-admins"}, "exp": now.Add(-5 * time.Minute).Unix()}),
			"wrong aud":     p.Sign(p.Current(), authtest.Claims{"sub": "ada", "groups": []string{"platform-admins"}, "aud": "another-service"}),
			"wrong iss":     p.Sign(p.Current(), authtest.Claims{"sub": "ada", "groups": []string{"platform-admins"}, "iss": "https://evil.example"}),
			"alg none":      p.Unsigned(authtest.Claims{"sub": "ada", "groups": []string{"platform-admins"}}),
			"HS256":         p.HS256(p.JWKS(), authtest.Claims{"sub": "ada", "groups": []string{"platform-admins"}}),
			"unknown kid":   authtest.SignWith(authtest.NewProvider("", "").Current(), "kid-nobody-published", authtest.Claims{"sub": "ada", "groups": []string{"platform-admins"}, "iss": p.Issuer, "aud": "computegw", "exp": now.Add(time.Hour).Unix()}),
			"garbage token": "not-a-jwt",
		}
		for name, tok := range bad {
			_, err := c.ListClouds(bearer(t, tok), &pb.ListCloudsRequest{})
			wantGRPC(t, name+" ListClouds", err, codes.Unauthenticated, "CALLER_UNAUTHENTICATED")
			// Authentication comes first: even a cloud that does not exist.
			_, err = c.GetInstance(bearer(t, tok), &pb.GetInstanceRequest{Name: "clouds/no-such-cloud/instances/x"})
			wantGRPC(t, name+" GetInstance on a nonexistent cloud", err, codes.Unauthenticated, "CALLER_UNAUTHENTICATED")
			r := s.rest(t, tok, "GET", "/v1/clouds", "")
			wantREST(t, name+" GET /v1/clouds", r, 401, "CALLER_UNAUTHENTICATED")
			r = s.rest(t, tok, "POST", "/v1/clouds/no-such-cloud/instances", "{not json")
			wantREST(t, name+" POST malformed body to a nonexistent cloud", r, 401, "CALLER_UNAUTHENTICATED")
			r = s.rest(t, tok, "GET", "/v1/"+instA+":watch", "")
			wantREST(t, name+" REST watch", r, 401, "CALLER_UNAUTHENTICATED")
			if tok != "" {
				sig := tok[strings.LastIndex(tok, ".")+1:]
				if len(sig) > 8 && (strings.Contains(string(r.body), sig) || strings.Contains(status.Convert(err).Message(), sig)) {
					t.Errorf("%s: the error echoes the token", name)
				}
			}
		}
		_, err := c.ListClouds(bearer(t, bad["expired"]), &pb.ListCloudsRequest{})
		if !strings.Contains(status.Convert(err).Message(), "expired") {
			t.Errorf("expired token: message %q does not say so", status.Convert(err).Message())
		}
		_, err = c.ListClouds(bearer(t, bad["wrong aud"]), &pb.ListCloudsRequest{})
		if !strings.Contains(status.Convert(err).Message(), "audience") {
			t.Errorf("wrong aud: message %q does not say so", status.Convert(err).Message())
		}
	})

	t.Run("refusals are counted and logged like any call", func(t *testing.T) {
		admin := s.adminAddr(t)
		m0 := scrape(t, admin)
		wantREST(t, "REST no token", s.rest(t, "", "GET", "/v1/clouds", ""), 401, "CALLER_UNAUTHENTICATED")
		_, err := c.ListClouds(bearer(t, ""), &pb.ListCloudsRequest{})
		wantGRPC(t, "gRPC no token", err, codes.Unauthenticated, "CALLER_UNAUTHENTICATED")
		_, err = c.GetInstance(bearer(t, operatorA), &pb.GetInstanceRequest{Name: "clouds/secret-cloud-name/instances/x"})
		wantGRPC(t, "forbidden", err, codes.PermissionDenied, "CALLER_FORBIDDEN")
		m1 := scrape(t, admin)
		for _, tr := range []string{"rest", "grpc"} {
			l := []string{"method", "ListClouds", "cloud", "", "code", "UNAUTHENTICATED", "transport", tr}
			if d := m1.value("computegw_requests_total", l...) - m0.value("computegw_requests_total", l...); d != 1 {
				t.Errorf("requests_total%v rose by %v, want 1", l, d)
			}
		}
		for _, f := range m1["computegw_requests_total"].GetMetric() {
			for _, lp := range f.GetLabel() {
				if strings.Contains(lp.GetValue(), "secret-cloud-name") {
					t.Errorf("a metric label names a cloud the caller sent: %v", f)
				}
			}
		}
		logged := false
		for _, ln := range strings.Split(s.stderr.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(ln), &m) == nil && m["msg"] == "rpc" && m["method"] == "ListClouds" && m["code"] == "Unauthenticated" && m["transport"] == "rest" {
				logged = true
			}
		}
		if !logged {
			t.Errorf("no call log line for the refused REST call")
		}
	})

	t.Run("viewer lists and watches but cannot stop or create", func(t *testing.T) {
		if _, err := c.ListInstances(bearer(t, viewer), &pb.ListInstancesRequest{Parent: "clouds/cloud-b"}); err != nil {
			t.Errorf("viewer ListInstances: %v", err)
		}
		if r := s.rest(t, viewer, "GET", "/v1/clouds/-/instances", ""); r.code != 200 {
			t.Errorf("viewer REST list: %d %s", r.code, r.body)
		}
		wctx, cancel := context.WithTimeout(bearer(t, viewer), 10*time.Second)
		defer cancel()
		st, err := c.WatchInstance(wctx, &pb.WatchInstanceRequest{Name: instA})
		if err != nil {
			t.Fatal(err)
		}
		if in, err := st.Recv(); err != nil || in.GetName() != instA {
			t.Errorf("viewer gRPC watch: %v %v", in, err)
		}
		cancel()
		s.restWatchFirstLine(t, viewer, instA)
		_, err = c.StopInstance(bearer(t, viewer), &pb.StopInstanceRequest{Name: instA})
		wantGRPC(t, "viewer StopInstance", err, codes.PermissionDenied, "CALLER_FORBIDDEN")
		if msg := status.Convert(err).Message(); !strings.Contains(msg, `no role operator on cloud "cloud-a"`) {
			t.Errorf("viewer StopInstance message %q", msg)
		}
		wantREST(t, "viewer :stop", s.rest(t, viewer, "POST", "/v1/"+instA+":stop", "{}"), 403, "CALLER_FORBIDDEN")
		_, err = c.CreateInstance(bearer(t, viewer), &pb.CreateInstanceRequest{Parent: "clouds/cloud-a", Instance: demoCreateProto("nhn-demo", "viewer-vm")})
		wantGRPC(t, "viewer CreateInstance", err, codes.PermissionDenied, "CALLER_FORBIDDEN")
		body, _ := json.Marshal(demoCreate["nhn-demo"])
		wantREST(t, "viewer REST create", s.rest(t, viewer, "POST", "/v1/clouds/cloud-a/instances", string(body)), 403, "CALLER_FORBIDDEN")
	})

	t.Run("operator on cloud A only", func(t *testing.T) {
		res, err := c.ListClouds(bearer(t, operatorA), &pb.ListCloudsRequest{})
		if err != nil || len(res.GetClouds()) != 1 || res.GetClouds()[0].GetName() != "clouds/cloud-a" {
			t.Errorf("operator ListClouds: %v %v", res, err)
		}
		r := s.rest(t, operatorA, "GET", "/v1/clouds", "")
		if r.code != 200 || strings.Contains(string(r.body), "cloud-b") {
			t.Errorf("operator REST ListClouds: %d %s", r.code, r.body)
		}
		all, err := c.ListInstances(bearer(t, operatorA), &pb.ListInstancesRequest{Parent: "clouds/-"})
		if err != nil || len(all.GetInstances()) == 0 {
			t.Fatalf("operator clouds/-: %v %v", all, err)
		}
		for _, in := range all.GetInstances() {
			if !strings.HasPrefix(in.GetName(), "clouds/cloud-a/") {
				t.Errorf("operator clouds/- shows %s", in.GetName())
			}
		}
		if len(all.GetUnreachable()) > 0 {
			t.Errorf("operator clouds/- unreachable %v", all.GetUnreachable())
		}
		r = s.rest(t, operatorA, "GET", "/v1/clouds/-/instances", "")
		if r.code != 200 || strings.Contains(string(r.body), "cloud-b") {
			t.Errorf("operator REST clouds/-: %d %s", r.code, r.body)
		}
		_, err = c.GetInstance(bearer(t, operatorA), &pb.GetInstanceRequest{Name: instB})
		wantGRPC(t, "operator GetInstance on B", err, codes.PermissionDenied, "CALLER_FORBIDDEN")
		wantREST(t, "operator REST GET on B", s.rest(t, operatorA, "GET", "/v1/"+instB, ""), 403, "CALLER_FORBIDDEN")
		wantREST(t, "operator REST :watch on B", s.rest(t, operatorA, "GET", "/v1/"+instB+":watch", ""), 403, "CALLER_FORBIDDEN")
		_, err = c.GetInstance(bearer(t, operatorA), &pb.GetInstanceRequest{Name: "clouds/no-such-cloud/instances/x"})
		wantGRPC(t, "operator GetInstance on a nonexistent cloud", err, codes.PermissionDenied, "CALLER_FORBIDDEN")
		wantREST(t, "operator REST nonexistent cloud", s.rest(t, operatorA, "GET", "/v1/clouds/no-such-cloud", ""), 403, "CALLER_FORBIDDEN")
		if _, err := c.StopInstance(bearer(t, operatorA), &pb.StopInstanceRequest{Name: instA}); err != nil {
			t.Errorf("operator StopInstance on A: %v", err)
		}
		if _, err := c.DeleteInstance(bearer(t, operatorA), &pb.DeleteInstanceRequest{Name: instA}); status.Code(err) != codes.PermissionDenied {
			t.Errorf("operator DeleteInstance: %v, want PERMISSION_DENIED", err)
		}
	})

	t.Run("caller without a role sees no cloud", func(t *testing.T) {
		res, err := c.ListClouds(bearer(t, nobody), &pb.ListCloudsRequest{})
		if err != nil || len(res.GetClouds()) != 0 {
			t.Errorf("ListClouds: %v %v", res, err)
		}
		r := s.rest(t, nobody, "GET", "/v1/clouds/-/instances", "")
		if r.code != 200 || strings.Contains(string(r.body), "cloud-") {
			t.Errorf("clouds/-: %d %s", r.code, r.body)
		}
	})

	t.Run("admin creates and deletes", func(t *testing.T) {
		in, err := c.CreateInstance(bearer(t, admin), &pb.CreateInstanceRequest{Parent: "clouds/cloud-b", Instance: demoCreateProto("nhn-demo", "admin-grpc"),
			RequestId: "2f1d7e0c-3a4b-4c5d-8e9f-0a1b2c3d4e5f"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.DeleteInstance(bearer(t, admin), &pb.DeleteInstanceRequest{Name: in.GetName()}); err != nil {
			t.Errorf("admin DeleteInstance: %v", err)
		}
		body, _ := json.Marshal(demoCreateProtoJSON("admin-rest"))
		r := s.rest(t, admin, "POST", "/v1/clouds/cloud-a/instances", string(body))
		var created struct{ Name string }
		if json.Unmarshal(r.body, &created); r.code != 200 || created.Name == "" {
			t.Fatalf("admin REST create: %d %s", r.code, r.body)
		}
		if r := s.rest(t, admin, "DELETE", "/v1/"+created.Name, ""); r.code != 200 {
			t.Errorf("admin REST delete: %d %s", r.code, r.body)
		}
		// The audit trail: one line per change, with principal and resource.
		eventually.Nil(t, 5*time.Second, "the audit lines", func() error {
			audits := auditLines(s.stderr.String())
			var seen []string
			for _, a := range audits {
				seen = append(seen, fmt.Sprint(a["principal"], " ", a["rpc"], " ", a["resource"], " ", a["code"]))
			}
			joined := strings.Join(seen, "\n")
			want := []string{
				"user:ada@example.com CreateInstance clouds/cloud-b OK",
				"user:ada@example.com DeleteInstance " + in.GetName() + " OK",
				"user:olga StopInstance " + instA + " OK",
				"user:olga DeleteInstance " + instA + " PERMISSION_DENIED",
				"user:vic@example.com StopInstance " + instA + " PERMISSION_DENIED",
			}
			missing := ""
			for _, w := range want {
				if !strings.Contains(joined, w) {
					missing = w
				}
			}
			if missing != "" {
				return eventually.NotYet("no audit line %q in:\n%s", missing, joined)
			}
			return nil
		})
		for _, a := range auditLines(s.stderr.String()) {
			if a["rpc"] == "CreateInstance" && a["transport"] == "grpc" && a["principal"] == "user:ada@example.com" && a["request_id"] != "2f1d7e0c-3a4b-4c5d-8e9f-0a1b2c3d4e5f" {
				t.Errorf("create audit line without its request_id: %v", a)
			}
		}
	})

	if strings.Contains(s.stderr.String(), admin[strings.LastIndex(admin, ".")+1:]) {
		t.Error("the gateway logged a token")
	}
}

func (s *secured) restWatchFirstLine(t *testing.T, token, name string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx(t), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(wctx, "GET", "https://"+s.httpAddr+"/v1/"+name+":watch", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: s.rootTLS}}
	defer c.CloseIdleConnections()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("REST watch: %d %s", res.StatusCode, b)
	}
	sc := bufio.NewScanner(res.Body)
	if !sc.Scan() || !strings.Contains(sc.Text(), `"result"`) {
		t.Errorf("REST watch first line %q", sc.Text())
	}
}

func auditLines(stderr string) []map[string]any {
	var out []map[string]any
	for _, ln := range strings.Split(stderr, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(ln), &m) == nil && m["audit"] == true {
			out = append(out, m)
		}
	}
	return out
}

func demoCreateProtoJSON(name string) map[string]any {
	m := map[string]any{"displayName": name}
	for k, v := range demoCreate["nhn-demo"] {
		m[k] = v
	}
	return m
}

// TestSecurityKeyRotation: the identity provider rotates its signing key
// (the old one leaves the key set); the gateway picks the new one up on the
// first token that names it, without a restart, and a flood of tokens
// naming unknown keys right after costs the provider no extra fetch. The
// key set is found through OIDC discovery at the issuer (no jwks_url).
func TestSecurityKeyRotation(t *testing.T) {
	s := startSecuredKeys(t, false, false)
	c, _ := s.grpcClient(t, s.rootTLS)
	p := s.idp
	old := p.Token("ada@example.com", "platform-admins")
	if _, err := c.ListClouds(bearer(t, old), &pb.ListCloudsRequest{}); err != nil {
		t.Fatal(err)
	}
	before := p.JWKSHits.Load()
	p.Rotate()
	tok := p.Token("ada@example.com", "platform-admins")
	if _, err := c.ListClouds(bearer(t, tok), &pb.ListCloudsRequest{}); err != nil {
		t.Errorf("token from the new key: %v", err)
	}
	if r := s.rest(t, tok, "GET", "/v1/clouds", ""); r.code != 200 {
		t.Errorf("REST with the new key: %d %s", r.code, r.body)
	}
	_, err := c.ListClouds(bearer(t, old), &pb.ListCloudsRequest{})
	wantGRPC(t, "token from the retired key", err, codes.Unauthenticated, "CALLER_UNAUTHENTICATED")
	for i := range 20 {
		bogus := authtest.SignWith(p.Current(), fmt.Sprintf("bogus-%d", i), authtest.Claims{"sub": "x", "iss": p.Issuer, "aud": "computegw", "exp": time.Now().Add(time.Hour).Unix()})
		_, err := c.ListClouds(bearer(t, bogus), &pb.ListCloudsRequest{})
		wantGRPC(t, "unknown kid", err, codes.Unauthenticated, "CALLER_UNAUTHENTICATED")
	}
	if got := p.JWKSHits.Load() - before; got != 1 {
		t.Errorf("the key set was fetched %d times after the rotation, want 1", got)
	}
}

// TestSecurityMTLS: client certificates on both listeners.
func TestSecurityMTLS(t *testing.T) {
	s := startSecured(t, true)
	deployBot := s.ca.ClientTLS("deploy-bot")
	p := s.idp
	c, _ := s.grpcClient(t, s.tlsWith(deployBot))
	res, err := c.ListClouds(ctx(t), &pb.ListCloudsRequest{})
	if err != nil || len(res.GetClouds()) != 1 || res.GetClouds()[0].GetName() != "clouds/cloud-a" {
		t.Fatalf("cert:deploy-bot (operator on cloud-a) ListClouds: %v %v", res, err)
	}
	r := s.restWith(t, s.tlsWith(deployBot), "", "GET", "/v1/clouds", "")
	if r.code != 200 || !strings.Contains(string(r.body), "clouds/cloud-a") || strings.Contains(string(r.body), "cloud-b") {
		t.Errorf("REST with cert:deploy-bot: %d %s", r.code, r.body)
	}
	inst := s.firstInstance(t, c, p.Token("ada", "platform-admins"), "cloud-a")
	if _, err := c.StopInstance(ctx(t), &pb.StopInstanceRequest{Name: inst}); err != nil {
		t.Errorf("cert:deploy-bot StopInstance on cloud-a: %v", err)
	}
	_, err = c.StopInstance(bearer(t, p.Token("vic", "viewers")), &pb.StopInstanceRequest{Name: inst})
	wantGRPC(t, "certificate plus a viewer's JWT is the JWT's principal", err, codes.PermissionDenied, "CALLER_FORBIDDEN")
	if !strings.Contains(status.Convert(err).Message(), "user:vic") {
		t.Errorf("message %q does not name the JWT's principal", status.Convert(err).Message())
	}
	wantREST(t, "REST cert plus viewer JWT :stop", s.restWith(t, s.tlsWith(deployBot), p.Token("vic", "viewers"), "POST", "/v1/"+inst+":stop", "{}"), 403, "CALLER_FORBIDDEN")

	// No certificate, or one from another CA: the handshake fails.
	stranger := authtest.NewCA("another CA").ClientTLS("deploy-bot")
	for name, cfg := range map[string]*tls.Config{"no client certificate": s.tlsWith(), "certificate from another CA": s.tlsWith(stranger)} {
		cc, _ := s.grpcClient(t, cfg)
		_, err := cc.ListClouds(bearer(t, p.Token("ada", "platform-admins")), &pb.ListCloudsRequest{})
		if status.Code(err) != codes.Unavailable {
			t.Errorf("%s over gRPC: %v, want the handshake to fail (UNAVAILABLE)", name, err)
		}
		conn, err := tls.Dial("tcp", s.httpAddr, cfg)
		if err == nil {
			// TLS 1.3: the client learns of the refusal on its first read.
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			_, werr := conn.Write([]byte("GET /v1/clouds HTTP/1.1\r\nHost: x\r\n\r\n"))
			_, err = conn.Read(make([]byte, 1))
			if werr != nil {
				err = werr
			}
			conn.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("%s over REST: %v, want a handshake failure about the certificate", name, err)
		}
	}

	// The server certificate is reloaded when its files change.
	old := s.serverCert(t)
	cert, key := s.ca.Server("localhost")
	s.file(t, "tls.key", key)
	s.file(t, "tls.crt", cert)
	eventually.True(t, 10*time.Second, "the rewritten server certificate picked up", func() bool { return s.serverCert(t) != old })
	if _, err := c.ListClouds(ctx(t), &pb.ListCloudsRequest{}); err != nil {
		t.Errorf("gRPC after the certificate reload: %v", err)
	}
}

// serverCert is the serial number of the certificate the REST listener
// presents now.
func (s *secured) serverCert(t *testing.T) string {
	t.Helper()
	conn, err := tls.Dial("tcp", s.httpAddr, s.tlsWith(s.ca.ClientTLS("readonly-bot")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

// TestSafeDefault: a config that would serve a non-loopback address
// without auth does not start, and says auth.
func TestSafeDefault(t *testing.T) {
	nhn := nhnfake.NewServer(nhnfake.Options{})
	defer nhn.Close()
	cfg := fmt.Sprintf(`http_addr: 0.0.0.0:8080
grpc_addr: 127.0.0.1:0
clouds:
  - {name: nhn-kr1, dialect: nhnv2, identity_endpoint: %s, tenant_id: %s, username: %s, password_env: E2E_NHN_PASSWORD}
`, nhn.URL, nhnfake.DemoTenantID, nhnfake.DemoUsername)
	dir := t.TempDir()
	path := writeFileIn(t, dir, "open.yaml", cfg)
	out, code := runFor(t, gatewayCmd([]string{"E2E_NHN_PASSWORD=" + nhnfake.DemoPassword}, "--config", path), 20*time.Second)
	if code == 0 {
		t.Fatalf("exit %d, want non-zero:\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "gateway: ") || !strings.Contains(last, "auth") || !strings.Contains(last, "0.0.0.0:8080") {
		t.Errorf("last line %q does not name auth and the address", last)
	}
	// allow_unauthenticated: true is the explicit opt-out.
	writeFileIn(t, dir, "open.yaml", strings.Replace(cfg, "0.0.0.0:8080", "0.0.0.0:0", 1)+"auth:\n  allow_unauthenticated: true\npolicy:\n  - {principals: [anonymous], clouds: ['*'], role: viewer}\n")
	g := start(t, []string{"E2E_NHN_PASSWORD=" + nhnfake.DemoPassword}, "--config", path)
	if code := g.rest(t, "GET", "/v1/clouds", nil, nil); code != 200 {
		t.Errorf("anonymous viewer: HTTP %d", code)
	}
	if code := g.rest(t, "DELETE", "/v1/clouds/nhn-kr1/keyPairs/x", nil, nil); code != 403 {
		t.Errorf("anonymous viewer delete: HTTP %d, want 403", code)
	}
}

package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/grpc/metadata"

	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/auth"
	"github.com/computegw/computegw/internal/auth/authtest"
)

// BenchmarkAuthGetInstance is what caller authentication adds to a call:
// the same GetInstance through a gateway without auth ("open") and one with
// auth.jwt and a policy ("jwt": RS256 signature check against a cached key
// set, claims, role lookup), both in front of one fake NHN server, over
// gRPC and REST. "verify" is the token check alone for a token seen
// before (the verifier remembers tokens that verified), "verify-first-use"
// for a token it has not seen (the RS256 signature check).
//
//	go test -run '^$' -bench AuthGetInstance -benchmem -count 5 ./bench/
func BenchmarkAuthGetInstance(b *testing.B) {
	e := setup(b, false)
	defer e.stop()
	idp := authtest.NewProvider("https://idp.bench.example", "computegw")
	dir := b.TempDir()
	jwks := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(jwks, idp.JWKS(), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg := fmt.Sprintf(`clouds:
  - {name: nhn, dialect: nhnv2, identity_endpoint: %s, tenant_id: %s, username: %s, password_env: BENCH_NHN_PASSWORD}
auth:
  jwt: {issuer: %s, audience: computegw, jwks_file: %s}
policy:
  - {principals: ["group:viewers"], clouds: ["*"], role: viewer}
`, e.fake.URL, nhnfake.DemoTenantID, nhnfake.DemoUsername, idp.Issuer, jwks)
	path := filepath.Join(dir, "auth.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	addrs, stop := runGateway(b, path, nil)
	defer stop()
	conn := dial(b, addrs[1])
	defer conn.Close()
	authed := pb.NewComputeServiceClient(conn)
	token := idp.Token("bench@example.com", "viewers")
	req := &pb.GetInstanceRequest{Name: webServer}
	withToken := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)

	b.Run("open/grpc", loop(func() error { _, err := e.gw.GetInstance(context.Background(), req); return err }))
	b.Run("jwt/grpc", loop(func() error { _, err := authed.GetInstance(withToken, req); return err }))
	b.Run("open/rest", func(b *testing.B) {
		u := "http://" + e.httpAddr + "/v1/" + webServer
		b.ReportAllocs()
		for b.Loop() {
			restGet(b, e.http, u)
		}
	})
	b.Run("jwt/rest", func(b *testing.B) {
		u := "http://" + addrs[0] + "/v1/" + webServer
		b.ReportAllocs()
		for b.Loop() {
			r, _ := http.NewRequest(http.MethodGet, u, nil)
			r.Header.Set("Authorization", "Bearer "+token)
			res, err := e.http.Do(r)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Fatalf("GET %s: %s", u, res.Status)
			}
		}
	})
	newVerifier := func(b *testing.B) *auth.Verifier {
		v, err := auth.NewVerifier(auth.JWTConfig{Issuer: idp.Issuer, Audience: "computegw", JWKSFile: jwks})
		if err != nil {
			b.Fatal(err)
		}
		return v
	}
	b.Run("verify-first-use", func(b *testing.B) {
		toks := make([]string, 64)
		for i := range toks {
			toks[i] = idp.Token(fmt.Sprintf("user-%d", i), "viewers")
		}
		var v *auth.Verifier
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if i%len(toks) == 0 {
				b.StopTimer()
				v = newVerifier(b) // nothing remembered
				b.StartTimer()
			}
			if _, err := v.Verify(context.Background(), toks[i%len(toks)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		v := newVerifier(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(context.Background(), token); err != nil {
				b.Fatal(err)
			}
		}
	})
}

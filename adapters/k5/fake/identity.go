package fake

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/computegw/computegw/internal/fakekit"
)

// keystoneTimeFormat is how K5's Keystone writes expires_at/issued_at.
const keystoneTimeFormat = "2006-01-02T15:04:05.000000Z"

type authRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password struct {
				User struct {
					Domain struct {
						ID   string `json:"id"`
						Name string `json:"name"`
					} `json:"domain"`
					ID       string `json:"id"`
					Name     string `json:"name"`
					Password string `json:"password"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope struct {
			Project struct {
				ID string `json:"id"`
			} `json:"project"`
		} `json:"scope"`
	} `json:"auth"`
}

var keystoneError = fakekit.WriteKeystoneError

// handleToken is Keystone v3 POST /v3/auth/tokens, password method, project
// scope: 201 with the token only in X-Subject-Token.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.Tokens.Counted()
	if r.Method != http.MethodPost {
		keystoneError(w, http.StatusMethodNotAllowed, "Method Not Allowed", "The method is not allowed for the requested URL.")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		keystoneError(w, http.StatusUnsupportedMediaType, "Unsupported Media Type", "Content-Type must be application/json.")
		return
	}
	var req authRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		keystoneError(w, http.StatusBadRequest, "Bad Request", "Expecting to find auth in request body.")
		return
	}
	id := req.Auth.Identity
	u := id.Password.User
	if len(id.Methods) != 1 || id.Methods[0] != "password" {
		keystoneError(w, http.StatusBadRequest, "Bad Request", "Expecting the password method.")
		return
	}
	if u.Name == "" || u.Domain.Name == "" {
		keystoneError(w, http.StatusBadRequest, "Bad Request", "Expecting to find user name and domain name in the request.")
		return
	}
	if req.Auth.Scope.Project.ID == "" {
		keystoneError(w, http.StatusBadRequest, "Bad Request", "Expecting a project scope.")
		return
	}
	if u.Name != s.opt.Username || u.Domain.Name != s.opt.DomainName || u.Password != s.opt.Password {
		keystoneError(w, http.StatusUnauthorized, "Unauthorized", "The request you have made requires authentication.")
		return
	}
	if req.Auth.Scope.Project.ID != s.opt.ProjectID {
		keystoneError(w, http.StatusUnauthorized, "Unauthorized", "User "+DemoUserID+" has no access to project "+req.Auth.Scope.Project.ID)
		return
	}

	issued := s.Tokens.Issue("gAAAAA"+randomHex(32), s.opt.ProjectID)
	now, exp, tok := issued.Issued.UTC(), issued.Expires.UTC(), issued.ID

	domain := map[string]any{"id": "d" + DemoUserID[1:], "name": s.opt.DomainName}
	endpoint := func(service, url string) map[string]any {
		return map[string]any{
			"id": randomHex(16), "interface": "public", "region": Region, "region_id": Region, "url": url,
			"name": service,
		}
	}
	body := map[string]any{
		"token": map[string]any{
			"methods":    []string{"password"},
			"expires_at": exp.Format(keystoneTimeFormat),
			"issued_at":  now.Format(keystoneTimeFormat),
			"audit_ids":  []string{randomHex(11)},
			"user": map[string]any{
				"id": DemoUserID, "name": s.opt.Username, "domain": domain,
			},
			"project": map[string]any{
				"id": s.opt.ProjectID, "name": "demo-project", "domain": domain,
			},
			"roles": []map[string]any{{"id": randomHex(16), "name": "_member_"}, {"id": randomHex(16), "name": "cpf_systemowner"}},
			"catalog": []map[string]any{
				{"id": randomHex(16), "type": "identity", "name": "keystone", "endpoints": []map[string]any{endpoint("keystone", s.URL+"/v3")}},
				{"id": randomHex(16), "type": "compute", "name": "nova", "endpoints": []map[string]any{
					endpoint("nova", s.ComputeURL()),
					{"id": randomHex(16), "interface": "internal", "region": Region, "region_id": Region, "url": "http://nova.internal.invalid/v2/" + s.opt.ProjectID},
				}},
				{"id": randomHex(16), "type": "image", "name": "glance", "endpoints": []map[string]any{endpoint("glance", s.URL)}},
				{"id": randomHex(16), "type": "blockstoragev2", "name": "cinderv2", "endpoints": []map[string]any{endpoint("cinderv2", s.BlockStorageURL())}},
			},
		},
	}
	w.Header().Set("X-Subject-Token", tok)
	writeJSON(w, http.StatusCreated, body)
}

// tokenValid reports whether tok is a live token.
func (s *Server) tokenValid(tok string) bool {
	_, ok := s.Tokens.Valid(tok)
	return ok
}

// inProject checks, as K5 does in front of compute and block storage, the
// token and the {tenant_id} that starts rest (the path after the service
// prefix), answering 401 or 400 when they are wrong; it returns the path
// after the tenant. Callers hold s.mu.
func (s *Server) inProject(w http.ResponseWriter, r *http.Request, rest string) (string, bool) {
	if !s.tokenValid(r.Header.Get("X-Auth-Token")) {
		fault(w, http.StatusUnauthorized, "unauthorized", "Authentication required")
		return "", false
	}
	tenant, rest, _ := strings.Cut(rest, "/")
	if tenant != s.opt.ProjectID {
		badRequest(w, "Malformed request URL: URL's project_id '%s' doesn't match Context's project_id '%s'", tenant, s.opt.ProjectID)
		return "", false
	}
	return rest, true
}

package gcore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/gcore"
	"github.com/computegw/computegw/driver"
)

// FuzzAnswers feeds arbitrary bodies and statuses to GetInstance, the
// instance list and the create task poll: the adapter never panics, and a
// failure is always a classified *driver.Error. The seeds are gcore.md's
// shapes (plain `go test` runs them).
func FuzzAnswers(f *testing.F) {
	for _, seed := range []struct {
		status int
		body   string
	}{
		{200, instanceJSON},
		{200, `{"instance_id": 5, "instance_name": "x", "instance_created": "2026-11-30 10:00:00", "flavor": {"flavor_id": 7}}`},
		{200, listAnswer(3, "a", "b")},
		{200, `{"count": null, "results": [{"id": null}]}`},
		{200, taskFinishedJSON},
		{200, `{"state": "ERROR", "error": null}`},
		{200, `{"tasks": []}`},
		{400, `{"exception_class": "ValidationError", "message": "x", "invalid_fields": ["a"]}`},
		{409, `{"exception_class": "ConflictError"}`},
		{429, ``},
		{200, `[]`},
		{200, `{"addresses": {"n": [{"addr": 1}]}}`},
	} {
		f.Add(seed.status, seed.body)
	}
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 200 || status > 599 {
			status = 200
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if r.Method == http.MethodPost {
				w.WriteHeader(200)
				_, _ = w.Write([]byte(`{"tasks": ["t1"]}`))
				return
			}
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}))
		defer srv.Close()
		a, err := gcore.New(gcore.Config{Name: "fuzz", Endpoint: srv.URL, ProjectID: 1, RegionID: 2, APIKey: "fuzz-key-123",
			PollInterval: time.Millisecond, MaxPollInterval: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		check := func(what string, err error) {
			if err != nil && asDriver(err) == nil {
				t.Errorf("%s: unclassified error %T %v", what, err, err)
			}
		}
		_, err = a.GetInstance(ctx, "i1")
		check("get", err)
		_, err = a.ListInstances(ctx, driver.ListInstancesOptions{PageSize: 2, Marker: "a"})
		check("list", err)
		_, err = a.CreateInstance(ctx, &driver.CreateInstanceRequest{Name: "f", FlavorID: "f", ImageID: "i", BootVolume: &driver.BootVolumeSpec{SizeGB: 1}})
		check("create", err)
	})
}

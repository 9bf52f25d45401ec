// Package pathtest checks that an adapter puts caller-supplied IDs into
// vendor URLs as exactly one escaped path segment: an ID holding "#", "?",
// "/", ".." or "%" must never cut the URL short, add a query, climb the path
// or reach another endpoint with the token.
package pathtest

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/computegw/computegw/driver"
)

// EvilIDs are fed to every ID parameter. Each carries "injected" where an
// unescaped character would start a new path segment, query or fragment.
var EvilIDs = []string{
	"x#injected",
	"x?injected=1",
	"x/injected",
	"..",
	".",
	"../../../v3/auth/tokens?injected=",
	"x%2Finjected",
	"x%23injected",
	"x/../injected",
}

// Recorder is an http.RoundTripper recording every request URL before
// passing it to Base.
type Recorder struct {
	Base http.RoundTripper
	mu   sync.Mutex
	urls []*url.URL
}

// RoundTrip implements http.RoundTripper.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	u := *req.URL
	r.mu.Lock()
	r.urls = append(r.urls, &u)
	r.mu.Unlock()
	return r.Base.RoundTrip(req)
}

func (r *Recorder) take() []*url.URL {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.urls
	r.urls = nil
	return out
}

// Run calls every ID-taking method of a (and of the optional interfaces it
// implements) with each of EvilIDs in every ID parameter, and checks every
// request rec saw. Errors from the calls are expected (the IDs name nothing)
// and ignored; only the URLs matter. It also checks that the calls sent at
// least one request, so that the check cannot pass vacuously.
func Run(t *testing.T, a driver.Adapter, rec *Recorder) {
	t.Helper()
	type op struct {
		name string
		call func(ctx context.Context, id string)
	}
	ops := []op{
		{"GetInstance", func(ctx context.Context, id string) { _, _ = a.GetInstance(ctx, id) }},
		{"DeleteInstance", func(ctx context.Context, id string) { _ = a.DeleteInstance(ctx, id) }},
		{"StartInstance", func(ctx context.Context, id string) { _ = a.StartInstance(ctx, id) }},
		{"StopInstance", func(ctx context.Context, id string) { _ = a.StopInstance(ctx, id) }},
		{"RebootInstance", func(ctx context.Context, id string) { _ = a.RebootInstance(ctx, id, false) }},
		{"ResizeInstance", func(ctx context.Context, id string) { _ = a.ResizeInstance(ctx, id, id) }},
		{"GetFlavor", func(ctx context.Context, id string) { _, _ = a.GetFlavor(ctx, id) }},
		{"CreateInstance", func(ctx context.Context, id string) {
			_, _ = a.CreateInstance(ctx, &driver.CreateInstanceRequest{Name: "pathtest", FlavorID: id, ImageID: id, KeyName: id})
		}},
	}
	if r, ok := a.(driver.KeyPairManager); ok {
		ops = append(ops, op{"GetKeyPair", func(ctx context.Context, id string) { _, _ = r.GetKeyPair(ctx, id) }},
			op{"DeleteKeyPair", func(ctx context.Context, id string) { _ = r.DeleteKeyPair(ctx, id) }})
	}
	if r, ok := a.(driver.VolumeAttacher); ok {
		ops = append(ops, op{"ListVolumeAttachments", func(ctx context.Context, id string) { _, _ = r.ListVolumeAttachments(ctx, id) }},
			op{"GetVolumeAttachment", func(ctx context.Context, id string) { _, _ = r.GetVolumeAttachment(ctx, id, id) }},
			op{"AttachVolume", func(ctx context.Context, id string) { _, _ = r.AttachVolume(ctx, id, id) }},
			op{"DetachVolume", func(ctx context.Context, id string) { _ = r.DetachVolume(ctx, id, id) }})
	}
	if r, ok := a.(driver.InstanceRenamer); ok {
		ops = append(ops, op{"RenameInstance", func(ctx context.Context, id string) { _, _ = r.RenameInstance(ctx, id, "n") }})
	}
	if r, ok := a.(driver.ResizeConfirmer); ok {
		ops = append(ops, op{"ConfirmResize", func(ctx context.Context, id string) { _ = r.ConfirmResize(ctx, id) }},
			op{"RevertResize", func(ctx context.Context, id string) { _ = r.RevertResize(ctx, id) }})
	}
	if r, ok := a.(driver.Shelver); ok {
		ops = append(ops, op{"ShelveInstance", func(ctx context.Context, id string) { _ = r.ShelveInstance(ctx, id) }},
			op{"UnshelveInstance", func(ctx context.Context, id string) { _ = r.UnshelveInstance(ctx, id) }})
	}
	if r, ok := a.(driver.Rebuilder); ok {
		ops = append(ops, op{"RebuildInstance", func(ctx context.Context, id string) {
			_ = r.RebuildInstance(ctx, id, driver.RebuildRequest{ImageID: id})
		}})
	}
	if r, ok := a.(driver.ImageCreator); ok {
		ops = append(ops, op{"CreateInstanceImage", func(ctx context.Context, id string) { _, _ = r.CreateInstanceImage(ctx, id, "img", nil) }})
	}
	if r, ok := a.(driver.SecurityGroupManager); ok {
		ops = append(ops, op{"AddSecurityGroup", func(ctx context.Context, id string) { _ = r.AddSecurityGroup(ctx, id, id) }},
			op{"RemoveSecurityGroup", func(ctx context.Context, id string) { _ = r.RemoveSecurityGroup(ctx, id, id) }})
	}
	if r, ok := a.(driver.FloatingIPManager); ok {
		ops = append(ops, op{"AddFloatingIP", func(ctx context.Context, id string) { _ = r.AddFloatingIP(ctx, id, id, "") }},
			op{"RemoveFloatingIP", func(ctx context.Context, id string) { _ = r.RemoveFloatingIP(ctx, id, id) }})
	}
	sent := 0
	for _, o := range ops {
		for _, id := range EvilIDs {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			rec.take()
			o.call(ctx, id)
			cancel()
			for _, u := range rec.take() {
				sent++
				if why := bad(u); why != "" {
					t.Errorf("%s(%q) sent %s: %s", o.name, id, u.String(), why)
				}
			}
		}
	}
	if sent == 0 {
		t.Fatal("no request was sent: the check is vacuous")
	}
}

// bad says what is wrong with a request URL, or "".
func bad(u *url.URL) string {
	switch {
	case u.Fragment != "" || strings.Contains(u.String(), "#"):
		return "it has a fragment"
	case u.Query().Has("injected"):
		return "an ID added a query parameter"
	}
	segs := strings.Split(u.EscapedPath(), "/")
	if slices.Contains(segs, "..") || slices.Contains(segs, ".") {
		return "an ID became a dot segment"
	}
	for _, s := range segs {
		if s == "injected" {
			return "an ID added a path segment"
		}
	}
	return ""
}

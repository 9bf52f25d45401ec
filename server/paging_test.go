package server

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/memory"
	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
)

// capped is a vendor that answers at most cap instances per list page,
// taking delay for each, and fails every page from the failFrom-th call on.
type capped struct {
	driver.Adapter
	cap      int
	delay    time.Duration
	failFrom int // 0: never

	mu    sync.Mutex
	sizes []int // PageSize of each ListInstances call
}

func (c *capped) ListInstances(ctx context.Context, o driver.ListInstancesOptions) (*driver.InstancePage, error) {
	c.mu.Lock()
	c.sizes = append(c.sizes, o.PageSize)
	n := len(c.sizes)
	c.mu.Unlock()
	if c.delay > 0 {
		time.Sleep(c.delay)
	}
	if c.failFrom > 0 && n >= c.failFrom {
		return nil, driver.Errorf(driver.CodeUnavailable, "page %d failed", n)
	}
	o.PageSize = min(o.PageSize, c.cap)
	return c.Adapter.ListInstances(ctx, o)
}

func (c *capped) calls() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.sizes...)
}

// cappedCloud is a memory cloud with 2 seeded and n more instances.
func cappedCloud(t *testing.T, n, cap int) *capped {
	t.Helper()
	m := memory.New(memory.Options{Seed: true})
	for i := range n {
		if _, err := m.CreateInstance(context.Background(), &driver.CreateInstanceRequest{
			Name: fmt.Sprintf("extra-%02d", i), FlavorID: memory.FlavorSmall, ImageID: memory.ImageUbuntu}); err != nil {
			t.Fatal(err)
		}
	}
	return &capped{Adapter: m, cap: cap}
}

func listAll(t *testing.T, s *Server, parent string, size int32) (pages [][]string) {
	t.Helper()
	tok := ""
	for range 100 {
		res, err := s.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: parent, PageSize: size, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, in := range res.GetInstances() {
			names = append(names, in.GetName())
		}
		pages = append(pages, names)
		if tok = res.GetNextPageToken(); tok == "" {
			return pages
		}
	}
	t.Fatal("paging does not end")
	return nil
}

func TestPagesAreFilledFromConsecutiveVendorPages(t *testing.T) {
	c := cappedCloud(t, 10, 3) // 12 instances, vendor pages of 3
	s := newServer(t, Cloud{Name: "a", Adapter: c})
	pages := listAll(t, s, "clouds/a", 5)
	var sizes []int
	seen := map[string]bool{}
	for _, p := range pages {
		sizes = append(sizes, len(p))
		for _, n := range p {
			if seen[n] {
				t.Errorf("%s listed twice", n)
			}
			seen[n] = true
		}
	}
	if fmt.Sprint(sizes) != "[5 5 2]" {
		t.Errorf("page sizes %v, want [5 5 2] (full pages from vendor pages of 3)", sizes)
	}
	// Each vendor call asks only for what the page still lacks.
	if got := fmt.Sprint(c.calls()); got != "[5 2 5 2 5]" {
		t.Errorf("vendor page sizes asked %s, want [5 2 5 2 5]", got)
	}
}

func TestPageFillingStopsBeforeTheDeadline(t *testing.T) {
	c := cappedCloud(t, 30, 2) // 32 instances, pages of 2 taking 40ms each
	c.delay = 40 * time.Millisecond
	s := newServer(t, Cloud{Name: "a", Adapter: c})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := s.ListInstances(ctx, &pb.ListInstancesRequest{Parent: "clouds/a", PageSize: 30})
	if err != nil {
		t.Fatalf("a page that cannot be filled in time failed: %v", err)
	}
	if el := time.Since(start); el >= 300*time.Millisecond {
		t.Errorf("answered after %v, past the 300ms deadline", el)
	}
	n := len(res.GetInstances())
	if n < 2 || n >= 30 || res.GetNextPageToken() == "" {
		t.Fatalf("%d instances, next token %q: want a partial page with a token", n, res.GetNextPageToken())
	}
	// The rest follows from the token, nothing lost or repeated.
	res2, err := s.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: "clouds/a", PageSize: 1000, PageToken: res.GetNextPageToken()})
	if err != nil {
		t.Fatal(err)
	}
	if got := n + len(res2.GetInstances()); got != 32 || res2.GetNextPageToken() != "" {
		t.Errorf("%d + %d instances, want 32 in all", n, len(res2.GetInstances()))
	}
}

func TestFailingLaterVendorPageEndsThePageEarly(t *testing.T) {
	c := cappedCloud(t, 10, 3)
	c.failFrom = 2
	s := newServer(t, Cloud{Name: "a", Adapter: c})
	res, err := s.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: "clouds/a", PageSize: 10})
	if err != nil {
		t.Fatalf("list failed although its first vendor page came: %v", err)
	}
	if len(res.GetInstances()) != 3 || res.GetNextPageToken() == "" {
		t.Fatalf("%d instances, token %q: want the first vendor page and a token", len(res.GetInstances()), res.GetNextPageToken())
	}
	// The next page fails outright (its first vendor page fails).
	_, err = s.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: "clouds/a", PageSize: 10, PageToken: res.GetNextPageToken()})
	if err == nil || !strings.Contains(err.Error(), "failed") {
		t.Errorf("next page: %v, want the vendor's failure", err)
	}
}

func TestCrossCloudPagesFillAndResume(t *testing.T) {
	a, b := cappedCloud(t, 3, 2), cappedCloud(t, 1, 2) // 5 and 3 instances
	s := newServer(t, Cloud{Name: "a", Adapter: a}, Cloud{Name: "b", Adapter: b})
	pages := listAll(t, s, "clouds/-", 4)
	var sizes []int
	var all []string
	for _, p := range pages {
		sizes = append(sizes, len(p))
		all = append(all, p...)
	}
	if fmt.Sprint(sizes) != "[4 4]" {
		t.Errorf("page sizes %v, want [4 4]", sizes)
	}
	seen := map[string]bool{}
	for i, n := range all {
		if seen[n] {
			t.Errorf("%s listed twice", n)
		}
		seen[n] = true
		// Configuration order: every a before every b.
		if i < 5 != strings.HasPrefix(n, "clouds/a/") {
			t.Errorf("position %d: %s", i, n)
		}
	}
	// Cloud a resumes after what page 1 consumed: its second page starts
	// at the marker, it is not read from the start again.
	if got := fmt.Sprint(a.calls()); got != "[4 2 4]" {
		t.Errorf("cloud a was asked for pages %s, want [4 2 4]", got)
	}
}

package conncount

import (
	"io"
	"net/http"
	"testing"
)

func TestCountsConnections(t *testing.T) {
	s := Start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	get := func(c *http.Client) {
		res, err := c.Get(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	keep := &http.Client{Transport: &http.Transport{}}
	for range 3 {
		get(keep)
	}
	if n := s.Accepted(); n != 1 {
		t.Errorf("3 keep-alive requests: %d connections, want 1", n)
	}
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for range 2 {
		get(fresh)
	}
	if n := s.Accepted(); n != 3 {
		t.Errorf("then 2 without keep-alive: %d connections, want 3", n)
	}
}

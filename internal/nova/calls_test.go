package nova

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
)

type thing struct {
	ID string `json:"id"`
}

type thingPage struct {
	Things []thing            `json:"things"`
	Links  []gophercloud.Link `json:"things_links"`
}

func (p *thingPage) Entries() ([]thing, []gophercloud.Link) { return p.Things, p.Links }

// pager serves pages of n things each, linking a next page until last.
func pager(t *testing.T, last int, emptyAt int) (*gophercloud.ServiceClient, *atomic.Int32) {
	var calls atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		items := fmt.Sprintf(`{"id": "t%d"}`, page)
		if page == emptyAt {
			items = ""
		}
		links := "[]"
		if page < last {
			links = fmt.Sprintf(`[{"rel": "self", "href": "x"}, {"rel": "next", "href": "%s/things?page=%d"}]`, srv.URL, page+1)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"things": [%s], "things_links": %s}`, items, links)
	}))
	t.Cleanup(srv.Close)
	sc := &gophercloud.ServiceClient{ProviderClient: &gophercloud.ProviderClient{HTTPClient: *srv.Client()}, Endpoint: srv.URL + "/"}
	return sc, &calls
}

func TestFollowLinks(t *testing.T) {
	sc, calls := pager(t, 3, -1)
	got, err := FollowLinks[thing, thingPage](context.Background(), sc, sc.ServiceURL("things")+"?page=0", []int{200})
	if want := []thing{{"t0"}, {"t1"}, {"t2"}, {"t3"}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("FollowLinks = %v, %v; want %v", got, err, want)
	}
	if calls.Load() != 4 {
		t.Errorf("%d requests, want 4", calls.Load())
	}
}

func TestFollowLinksStopsAtAnEmptyPage(t *testing.T) {
	sc, calls := pager(t, 100, 2)
	got, err := FollowLinks[thing, thingPage](context.Background(), sc, sc.ServiceURL("things")+"?page=0", []int{200})
	if want := []thing{{"t0"}, {"t1"}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("FollowLinks = %v, %v; want %v", got, err, want)
	}
	if calls.Load() != 3 {
		t.Errorf("%d requests, want 3 (an empty page links nothing more worth reading)", calls.Load())
	}
}

func TestFollowLinksIsBounded(t *testing.T) {
	sc, calls := pager(t, MaxPages+10, -1)
	if _, err := FollowLinks[thing, thingPage](context.Background(), sc, sc.ServiceURL("things")+"?page=0", []int{200}); err == nil {
		t.Error("a list that never ends was read as complete")
	}
	if calls.Load() != MaxPages {
		t.Errorf("%d requests, want %d", calls.Load(), MaxPages)
	}
}

func TestFollowLinksError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) }))
	defer srv.Close()
	sc := &gophercloud.ServiceClient{ProviderClient: &gophercloud.ProviderClient{HTTPClient: *srv.Client()}, Endpoint: srv.URL + "/"}
	_, err := FollowLinks[thing, thingPage](context.Background(), sc, sc.ServiceURL("things"), []int{200})
	if !gophercloud.ResponseCodeIs(err, http.StatusNotFound) {
		t.Errorf("err = %v, want the 404", err)
	}
}

func TestConvert(t *testing.T) {
	if got := Convert([]thing{}, func(x *thing) string { return x.ID }); got != nil {
		t.Errorf("Convert of nothing = %#v, want nil", got)
	}
	if got := Convert([]thing{{"a"}, {"b"}}, func(x *thing) string { return x.ID }); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("Convert = %v", got)
	}
}

package gcore_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/computegw/computegw/adapters/gcore"
	"github.com/computegw/computegw/adapters/gcore/fake"
	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/testclock"
	"github.com/computegw/computegw/internal/wiretest"
	"github.com/computegw/computegw/server"
)

// These tests run the adapter against the stateful fake: the task model,
// locks, quota and paging as Gcore behaves.

func fakeAdapter(t *testing.T, opt fake.Options, mod ...func(*gcore.Config)) (*gcore.Adapter, *fake.Server) {
	t.Helper()
	srv := wiretest.Closing(t, fake.NewServer(opt))
	return wiretest.Open(t, gcore.New, gcore.Config{Name: "t", Endpoint: srv.URL, ProjectID: fake.DemoProjectID, RegionID: fake.DemoRegionID,
		APIKey: fake.DemoAPIKey, Zones: []string{"lux-1"}, PollInterval: 5 * time.Millisecond, MaxPollInterval: 20 * time.Millisecond}, mod...), srv
}

func createReq(name string) *driver.CreateInstanceRequest {
	return &driver.CreateInstanceRequest{Name: name, FlavorID: fake.FlavorSmall, ImageID: fake.ImageUbuntu,
		Networks:   []driver.NetworkSpec{{NetworkID: fake.NetworkPrivate}},
		BootVolume: &driver.BootVolumeSpec{SizeGB: 10, DeleteOnTermination: true}, KeyName: fake.KeyPair}
}

// TestCreateWaitsForTask: CreateInstance answers with the instance the
// create task names, polling with back-off, and creates once.
func TestCreateWaitsForTask(t *testing.T) {
	const build = 300 * time.Millisecond
	a, srv := fakeAdapter(t, fake.Options{BuildTime: build, StartDelay: 20 * time.Millisecond})
	start := time.Now()
	in, err := a.CreateInstance(context.Background(), createReq("built"))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < build {
		t.Errorf("answered after %v, before the %v build finished", took, build)
	}
	if in.ID == "" || in.Name != "built" || in.State != driver.StateRunning || in.ImageID != fake.ImageUbuntu {
		t.Errorf("created %+v", in)
	}
	if n := srv.Creates(); n != 1 {
		t.Errorf("%d creates sent, want 1", n)
	}
	// Polling every 5 ms without back-off would take about 60 polls; with
	// it (5 ms growing by half to 20 ms) about 18.
	if n := srv.TaskPolls(); n < 3 || n > 30 {
		t.Errorf("%d task polls for a %v build, want back-off between 3 and 30", n, build)
	}
}

// TestCreateTaskError: a task ending in ERROR is an error carrying its
// text, nothing is created, and the create is not sent again.
func TestCreateTaskError(t *testing.T) {
	a, srv := fakeAdapter(t, fake.Options{BuildTime: 30 * time.Millisecond})
	req := createReq("broken")
	req.ImageID = fake.ImageBroken
	_, err := a.CreateInstance(context.Background(), req)
	de := asDriver(err)
	if de == nil || de.Code != driver.CodeFailedPrecondition || de.Reason != "BACKEND_TASK_FAILED" ||
		!strings.Contains(de.Message, fake.ImageBrokenError) || de.VendorMessage != fake.ImageBrokenError {
		t.Fatalf("task ERROR: %v", err)
	}
	if n := srv.Creates(); n != 1 {
		t.Errorf("%d creates sent, want 1", n)
	}
	if ids := srv.InstanceIDs(); len(ids) != 0 {
		t.Errorf("instances after a failed build: %v", ids)
	}
}

// TestCreateDeadline: a build longer than the caller's deadline ends the
// wait with DEADLINE_EXCEEDED saying the instance may still appear; the
// create is sent once.
func TestCreateDeadline(t *testing.T) {
	a, srv := fakeAdapter(t, fake.Options{BuildTime: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := a.CreateInstance(ctx, createReq("slow"))
	de := asDriver(err)
	if de == nil || de.Code != driver.CodeDeadlineExceeded || !strings.Contains(de.Message, "may still appear") {
		t.Fatalf("deadline: %v", err)
	}
	if n := srv.Creates(); n != 1 {
		t.Errorf("%d creates sent, want 1", n)
	}
}

// TestCreateTaskUnreadable: once Gcore accepted a create, a task poll that
// fails for good (here 404, then 401) is an unknown outcome (UNAVAILABLE),
// never a refusal the portable layer would forget (a retry could then
// create a second instance).
func TestCreateTaskUnreadable(t *testing.T) {
	for _, status := range []int{http.StatusNotFound, http.StatusUnauthorized} {
		a, srv := fakeAdapter(t, fake.Options{BuildTime: time.Hour, Hook: func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/v1/tasks/") {
				w.WriteHeader(status)
				_, _ = w.Write([]byte(`{"exception_class": "NotFoundError", "message": "gone"}`))
				return true
			}
			return false
		}})
		_, err := a.CreateInstance(context.Background(), createReq("lost"))
		de := asDriver(err)
		if de == nil || de.Code != driver.CodeUnavailable || !strings.Contains(de.Message, "may still appear") || de.VendorHTTPStatus != status {
			t.Errorf("task poll %d: %v", status, err)
		}
		if n := srv.Creates(); n != 1 {
			t.Errorf("%d creates", n)
		}
	}
}

// TestCreateRequestIDFinishesInBackground: with request_id, a caller that
// gives up while the task runs does not stop the create, and a retry with
// the same ID gets its result (one create in all).
func TestCreateRequestIDFinishesInBackground(t *testing.T) {
	a, srv := fakeAdapter(t, fake.Options{BuildTime: 400 * time.Millisecond})
	s, err := server.New(server.Options{Clouds: []server.Cloud{{Name: "g", Adapter: a, Timeout: gcore.DefaultTimeout}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	req := &pb.CreateInstanceRequest{Parent: "clouds/g", RequestId: "5d1e6f0a-0000-4000-8000-00000000a1a1", Instance: &pb.Instance{
		DisplayName: "bg", Flavor: fake.FlavorSmall, Image: fake.ImageUbuntu,
		Networks:   []*pb.NetworkAttachment{{Network: fake.NetworkPrivate}},
		BootVolume: &pb.BootVolume{SizeGb: 10}}}
	first, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = s.CreateInstance(first, req) })
	<-first.Done()
	got, err := s.CreateInstance(context.Background(), req)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	wg.Wait()
	if got.GetState() != pb.Instance_RUNNING || !slices.Contains(srv.InstanceIDs(), strings.TrimPrefix(got.GetName(), "clouds/g/instances/")) {
		t.Errorf("retry answered %v", got)
	}
	if n := srv.Creates(); n != 1 {
		t.Errorf("%d creates sent, want 1", n)
	}
}

// TestLockedWhileTaskRuns: while a task holds an instance, another write
// is 409 ConflictError, FAILED_PRECONDITION; the running task shows in
// TaskState and the state; once it finishes, writes work again.
func TestLockedWhileTaskRuns(t *testing.T) {
	clock := testclock.New(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	a, _ := fakeAdapter(t, fake.Options{Seed: true, TaskTime: time.Minute, StartDelay: time.Second, Now: clock.Now})
	ctx := context.Background()
	if err := a.StopInstance(ctx, fake.InstanceWeb); err != nil {
		t.Fatal(err)
	}
	in, err := a.GetInstance(ctx, fake.InstanceWeb)
	if err != nil {
		t.Fatal(err)
	}
	if in.State != driver.StateStopping || in.TaskState != "powering-off" {
		t.Errorf("while stopping: %v %q", in.State, in.TaskState)
	}
	for name, write := range map[string]func() error{
		"start":  func() error { return a.StartInstance(ctx, fake.InstanceWeb) },
		"reboot": func() error { return a.RebootInstance(ctx, fake.InstanceWeb, true) },
		"resize": func() error { return a.ResizeInstance(ctx, fake.InstanceWeb, fake.FlavorMedium) },
		"delete": func() error { return a.DeleteInstance(ctx, fake.InstanceWeb) },
		"rename": func() error { _, err := a.RenameInstance(ctx, fake.InstanceWeb, "x"); return err },
	} {
		err := write()
		if de := asDriver(err); de == nil || de.Code != driver.CodeFailedPrecondition || de.VendorCode != "ConflictError" || de.VendorHTTPStatus != http.StatusConflict {
			t.Errorf("%s while locked: %v", name, err)
		}
	}
	clock.Add(2 * time.Minute)
	in, err = a.GetInstance(ctx, fake.InstanceWeb)
	if err != nil || in.State != driver.StateStopped || in.TaskState != "" {
		t.Fatalf("after the task: %+v %v", in, err)
	}
	if err := a.StartInstance(ctx, fake.InstanceWeb); err != nil {
		t.Errorf("start after the task: %v", err)
	}
}

// TestStates: each task moves the instance through Gcore's statuses.
func TestStates(t *testing.T) {
	clock := testclock.New(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	a, _ := fakeAdapter(t, fake.Options{Seed: true, TaskTime: time.Minute, Now: clock.Now})
	ctx := context.Background()
	steps := []struct {
		do           func() error
		during, done driver.State
		flavor       string
	}{
		{func() error { return a.RebootInstance(ctx, fake.InstanceWeb, false) }, driver.StateRebooting, driver.StateRunning, fake.FlavorSmall},
		{func() error { return a.RebootInstance(ctx, fake.InstanceWeb, true) }, driver.StateRebooting, driver.StateRunning, fake.FlavorSmall},
		{func() error { return a.ResizeInstance(ctx, fake.InstanceWeb, fake.FlavorLarge) }, driver.StateResizing, driver.StateRunning, fake.FlavorLarge},
		{func() error { return a.StopInstance(ctx, fake.InstanceWeb) }, driver.StateStopping, driver.StateStopped, fake.FlavorLarge},
		{func() error { return a.StartInstance(ctx, fake.InstanceWeb) }, driver.StateStarting, driver.StateRunning, fake.FlavorLarge},
	}
	for i, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		in, err := a.GetInstance(ctx, fake.InstanceWeb)
		if err != nil || in.State != st.during || in.TaskState == "" {
			t.Errorf("step %d during: %v %q %v", i, in.State, in.TaskState, err)
		}
		clock.Add(2 * time.Minute)
		in, err = a.GetInstance(ctx, fake.InstanceWeb)
		if err != nil || in.State != st.done || in.FlavorID != st.flavor {
			t.Errorf("step %d done: %v %s %v", i, in.State, in.FlavorID, err)
		}
	}
	// A state that does not allow the action is FAILED_PRECONDITION too.
	if err := a.StartInstance(ctx, fake.InstanceWeb); driver.CodeOf(err) != driver.CodeFailedPrecondition {
		t.Errorf("start while running: %v", err)
	}
	if err := a.DeleteInstance(ctx, fake.InstanceWeb); err != nil {
		t.Fatal(err)
	}
	if in, err := a.GetInstance(ctx, fake.InstanceWeb); err != nil || in.State != driver.StateDeleting {
		t.Errorf("deleting: %+v %v", in, err)
	}
	clock.Add(2 * time.Minute)
	if _, err := a.GetInstance(ctx, fake.InstanceWeb); !driver.IsNotFound(err) {
		t.Errorf("after delete: %v", err)
	}
}

// TestQuotaIs403: Gcore answers a create over quota with 403
// ForbiddenError: RESOURCE_EXHAUSTED saying quota or capacity.
func TestQuotaIs403(t *testing.T) {
	a, srv := fakeAdapter(t, fake.Options{Seed: true, MaxInstances: 2})
	_, err := a.CreateInstance(context.Background(), createReq("over"))
	de := asDriver(err)
	if de == nil || de.Code != driver.CodeResourceExhausted || de.VendorCode != "ForbiddenError" || !strings.Contains(de.Message, "quota") {
		t.Fatalf("over quota: %v", err)
	}
	if n := srv.TaskPolls(); n != 0 {
		t.Errorf("%d task polls after a refused create", n)
	}
}

// TestWrongKey: a 401 is BACKEND_CREDENTIALS_REJECTED after one call.
func TestWrongKey(t *testing.T) {
	a, srv := fakeAdapter(t, fake.Options{APIKey: "the-right-key"})
	_, err := a.GetInstance(context.Background(), fake.InstanceWeb)
	if de := asDriver(err); de == nil || de.Code != driver.CodeCredentialsRejected || de.Reason != "BACKEND_CREDENTIALS_REJECTED" {
		t.Fatalf("wrong key: %v", err)
	}
	if n := srv.Requests(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestOldSpellingsFromFake: the fake's older field names read the same.
func TestOldSpellingsFromFake(t *testing.T) {
	a, _ := fakeAdapter(t, fake.Options{Seed: true, OldSpellings: true})
	in, err := a.GetInstance(context.Background(), fake.InstanceDB)
	if err != nil || in.ID != fake.InstanceDB || in.Name != "db-1" || in.Created.IsZero() || in.State != driver.StateStopped {
		t.Errorf("%+v %v", in, err)
	}
}

// TestPagingOverFake: every instance once across pages of 2, also when one
// is deleted between pages, through the portable layer's page tokens.
func TestPagingOverFake(t *testing.T) {
	a, srv := fakeAdapter(t, fake.Options{Seed: true})
	ctx := context.Background()
	for i := range 5 {
		if _, err := a.CreateInstance(ctx, createReq("p"+string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	all := srv.InstanceIDs()
	if len(all) != 7 {
		t.Fatalf("instances %v", all)
	}
	s, err := server.New(server.Options{Clouds: []server.Cloud{{Name: "g", Adapter: a}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seen := map[string]int{}
	token := ""
	for page := 0; ; page++ {
		res, err := s.ListInstances(ctx, &pb.ListInstancesRequest{Parent: "clouds/g", PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range res.GetInstances() {
			seen[strings.TrimPrefix(in.GetName(), "clouds/g/instances/")]++
		}
		if page == 0 {
			// Delete the last instance of the first page (the marker).
			last := res.GetInstances()[1].GetName()
			if _, err := s.DeleteInstance(ctx, &pb.DeleteInstanceRequest{Name: last}); err != nil {
				t.Fatal(err)
			}
			waitGone(t, a, strings.TrimPrefix(last, "clouds/g/instances/"))
		}
		token = res.GetNextPageToken()
		if token == "" {
			break
		}
		if page > 10 {
			t.Fatal("paging does not end")
		}
	}
	for _, id := range all {
		if seen[id] != 1 {
			t.Errorf("%s listed %d times", id, seen[id])
		}
	}
	// A name filter is pushed down and re-checked.
	res, err := s.ListInstances(ctx, &pb.ListInstancesRequest{Parent: "clouds/g", Filter: `display_name = "pc"`})
	if err != nil || len(res.GetInstances()) != 1 || res.GetInstances()[0].GetDisplayName() != "pc" {
		t.Errorf("filter: %v %v", res.GetInstances(), err)
	}
	_, err = s.ListInstances(ctx, &pb.ListInstancesRequest{Parent: "clouds/g", Filter: `state = STOPPED`})
	if status.Code(err) != codes.OK {
		t.Error(err)
	}
}

func waitGone(t *testing.T, a *gcore.Adapter, id string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := a.GetInstance(context.Background(), id); driver.IsNotFound(err) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s not deleted", id)
}

package faulttest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/computegw/computegw/driver"
)

// OutcomeCase is one fault on the way of a create.
type OutcomeCase struct {
	Name  string
	Match func(*http.Request) bool
	Fault Fault
	// NotCreated is whether the create's error must say that no instance
	// was created; Created is how many instances the vendor then lists.
	NotCreated bool
	Created    int
}

// CreateOutcomes are the cases every dialect's create meets: the create
// refused or answered 503 (not created), each read named in before that
// the create needs first refused (not created), and the connection cut
// after the create was sent (the vendor acted: one instance).
func CreateOutcomes(isCreate func(*http.Request) bool, before ...Named) []OutcomeCase {
	out := []OutcomeCase{
		{Name: "refused", Match: isCreate, Fault: Refuse, NotCreated: true},
		{Name: "503", Match: isCreate, Fault: Answer503, NotCreated: true},
	}
	for _, b := range before {
		out = append(out, OutcomeCase{Name: b.Name + " refused", Match: b.Match, Fault: Refuse, NotCreated: true})
	}
	return append(out, OutcomeCase{Name: "reset after send", Match: isCreate, Fault: ResetAfterSend, Created: 1})
}

// Named is a request matcher with a name.
type Named struct {
	Name  string
	Match func(*http.Request) bool
}

// CheckCreateOutcome runs each case on its own adapter (newAdapter builds
// one over a fresh, empty fake, sending through client): the create fails
// through the fault, its error says "not created" exactly when the case
// says so, and the vendor then lists the case's number of instances.
func CheckCreateOutcome(t *testing.T, newAdapter func(t *testing.T, client *http.Client) driver.Adapter,
	req func() *driver.CreateInstanceRequest, cases ...OutcomeCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			ft := &Transport{Base: http.DefaultTransport, Match: c.Match, Fault: c.Fault}
			a := newAdapter(t, &http.Client{Transport: ft})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := a.CreateInstance(ctx, req())
			if err == nil || ft.Hits() == 0 {
				t.Fatalf("no fault (%v)", err)
			}
			if driver.IsNotCreated(err) != c.NotCreated {
				t.Errorf("%v: not created = %v, want %v", err, driver.IsNotCreated(err), c.NotCreated)
			}
			page, lerr := a.ListInstances(ctx, driver.ListInstancesOptions{PageSize: 100})
			if lerr != nil {
				t.Fatal(lerr)
			}
			if len(page.Instances) != c.Created {
				t.Errorf("%d instances at the vendor, want %d", len(page.Instances), c.Created)
			}
		})
	}
}

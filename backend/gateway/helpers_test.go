package gateway_test

import (
	"context"
	"net/http"
	"os"
	"sync/atomic"
	"testing"

	"github.com/dmplan/dmplan/backend/gateway"
	"github.com/dmplan/dmplan/backend/gateway/gwtest"
)

func TestMain(m *testing.M) { os.Exit(gwtest.Main(m)) }

// counter counts the HTTP requests a Store sends: the round trips.
type counter struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// fixture is a Store on a fresh tenant of the shared launcher, with a
// round-trip counter.
type fixture struct {
	g      *gwtest.Gateway
	tenant gwtest.Tenant
	s      *gateway.Store
	trips  *counter
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	g := gwtest.Shared(t)
	tn := g.Tenant(t)
	c := &counter{next: http.DefaultTransport}
	s, err := gateway.Open(context.Background(), gateway.Options{URL: tn.URL, Secret: tn.Secret, HTTPClient: &http.Client{Transport: c}})
	if err != nil {
		t.Fatalf("gateway.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return &fixture{g: g, tenant: tn, s: s, trips: c}
}

// trips runs fn and returns how many round trips it took.
func (f *fixture) count(fn func()) int {
	before := f.trips.n.Load()
	fn()
	return int(f.trips.n.Load() - before)
}

// newSlotted is the fixture's gateway backend with namespace creation
// handing out the tenant's pre-bound namespaces (gwtest.Backend).
func newSlotted(t *testing.T, f *fixture) *gwtest.Backend {
	t.Helper()
	b, err := f.tenant.Open(context.Background(), gateway.Options{HTTPClient: &http.Client{Transport: f.trips}})
	if err != nil {
		t.Fatalf("open gateway backend: %v", err)
	}
	return b
}

package gateway_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dmplan/dmplan/backend"
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

// slotted is the gateway backend with namespace creation done the way
// `dmplan apply` does it in production (outside the gateway): creating a
// namespace hands out one of the tenant's pre-bound namespaces and gives
// it the title. Everything else is the gateway's: D1, KV data and
// Pipeline. Namespaces lists the titled slots.
type slotted struct {
	*gateway.Store
	tenant gwtest.Tenant
	mu     sync.Mutex
	titles map[string]backend.Namespace
	used   int
}

func newSlotted(f *fixture) *slotted {
	return &slotted{Store: f.s, tenant: f.tenant, titles: map[string]backend.Namespace{}}
}

func (s *slotted) KV() backend.KV { return slottedKV{KV: s.Store.KV(), s: s} }

type slottedKV struct {
	backend.KV
	s *slotted
}

func (k slottedKV) CreateNamespace(ctx context.Context, title string) (backend.Namespace, error) {
	k.s.mu.Lock()
	defer k.s.mu.Unlock()
	if ns, ok := k.s.titles[title]; ok {
		return ns, nil
	}
	slots := k.s.tenant.Config.Namespaces
	if k.s.used >= len(slots) {
		return backend.Namespace{}, fmt.Errorf("test tenant has only %d namespaces", len(slots))
	}
	ns := backend.Namespace{ID: slots[k.s.used].ID, Title: title}
	k.s.used++
	k.s.titles[title] = ns
	return ns, nil
}

func (k slottedKV) Namespaces(ctx context.Context) ([]backend.Namespace, error) {
	if _, err := k.KV.Namespaces(ctx); err != nil { // the gateway's own answer must work too
		return nil, err
	}
	k.s.mu.Lock()
	defer k.s.mu.Unlock()
	out := make([]backend.Namespace, 0, len(k.s.titles))
	for _, ns := range k.s.titles {
		out = append(out, ns)
	}
	return out, nil
}

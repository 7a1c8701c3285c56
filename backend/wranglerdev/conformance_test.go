//go:build unix

package wranglerdev

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/backendtest"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/internal/flowtest"
)

// conformanceSlots is how many KV namespaces each conformance project
// binds (KV_0 …).
const conformanceSlots = 12

// TestConformance runs the suite every backend passes, and the full flow
// (plan, apply, evolve, runtime CRUD), on wrangler dev's local state
// through the real wrangler's getPlatformProxy. Each group gets a fresh
// project. Namespace creation, which wrangler dev leaves to the
// configuration, hands out the project's bound namespaces in order
// (slotted), as the gateway's conformance test does.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts wrangler and workerd several times (about a minute); skipped with -short")
	}
	newBackend := func(t *testing.T) backend.Backend {
		var kv []string
		for i := range conformanceSlots {
			kv = append(kv, fmt.Sprintf(`{"binding": "KV_%d", "id": "%032x"}`, i, i+1))
		}
		cfg := `{"name": "conf", "compatibility_date": "2025-04-01",
  "d1_databases": [{"binding": "DB", "database_name": "conf", "database_id": "7a0e4d6c-0000-4000-8000-000000000002"}],
  "kv_namespaces": [` + strings.Join(kv, ", ") + `]}`
		dir := cftest.WranglerProject(t, map[string]string{"wrangler.json": cfg, "package.json": `{"private": true}`})
		var nss []Namespace
		for i := range conformanceSlots {
			nss = append(nss, Namespace{Binding: fmt.Sprintf("KV_%d", i), Title: fmt.Sprintf("slot-%d", i)})
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		s, err := Open(ctx, Options{Dir: dir, Namespaces: nss})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return &slotted{Store: s, slots: nss}
	}
	backendtest.Run(t, newBackend)
	flowtest.Run(t, newBackend)
}

// slotted hands out the bound namespaces under the titles asked for.
type slotted struct {
	*Store
	slots []Namespace
	mu    sync.Mutex
	given []backend.Namespace
}

func (b *slotted) KV() backend.KV { return slottedKV{KV: b.Store.KV(), b: b} }

type slottedKV struct {
	backend.KV
	b *slotted
}

func (k slottedKV) CreateNamespace(ctx context.Context, title string) (backend.Namespace, error) {
	k.b.mu.Lock()
	defer k.b.mu.Unlock()
	for _, ns := range k.b.given {
		if ns.Title == title {
			return ns, nil
		}
	}
	if len(k.b.given) >= len(k.b.slots) {
		return backend.Namespace{}, fmt.Errorf("only %d namespaces are bound", len(k.b.slots))
	}
	ns := backend.Namespace{ID: k.b.slots[len(k.b.given)].Binding, Title: title}
	k.b.given = append(k.b.given, ns)
	return ns, nil
}

func (k slottedKV) Namespaces(ctx context.Context) ([]backend.Namespace, error) {
	if _, err := k.KV.Namespaces(ctx); err != nil { // the proxy's own answer must work too
		return nil, err
	}
	k.b.mu.Lock()
	defer k.b.mu.Unlock()
	return append([]backend.Namespace(nil), k.b.given...), nil
}

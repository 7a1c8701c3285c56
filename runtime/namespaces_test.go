package runtime_test

import (
	"errors"
	"testing"

	"github.com/dmplan/dmplan/runtime"
)

// Open lists the KV namespaces once, or not at all when the caller passes
// them (WithNamespaces); models whose namespace it did not learn share one
// listing on first use.
func TestOpenNamespaceListings(t *testing.T) {
	e := setup(t)
	nss, err := e.store.KV().Namespaces(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	lists := func(fb *faultBackend) int {
		fb.kv.mu.Lock()
		defer fb.kv.mu.Unlock()
		return fb.kv.lists
	}
	touch := func(t *testing.T, ds *runtime.Datastore) {
		t.Helper()
		if _, err := ds.Auth("u1").Create(e.ctx, "PAGE", newPage("p-"+t.Name())); err != nil {
			t.Fatal(err)
		}
		for _, model := range []string{"ITEM", "NOTE", "PUBLIC"} {
			if _, err := ds.System().Get(e.ctx, model, "missing"); !errors.Is(err, runtime.ErrNotFound) {
				t.Fatalf("Get %s: %v", model, err)
			}
		}
	}
	tests := []struct {
		name                string
		opts                []runtime.Option
		atOpen, afterWrites int
	}{
		{"listed by Open", nil, 1, 1},
		{"given by the caller", []runtime.Option{runtime.WithNamespaces(nss)}, 0, 0},
		{"created since the caller listed", []runtime.Option{runtime.WithNamespaces(nil)}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := newFault(e.store)
			ds, err := runtime.Open(e.ctx, e.spec, fb, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if got := lists(fb); got != tt.atOpen {
				t.Errorf("Open listed namespaces %d times, want %d", got, tt.atOpen)
			}
			touch(t, ds)
			if got := lists(fb); got != tt.afterWrites {
				t.Errorf("after writes to four models: %d listings, want %d", got, tt.afterWrites)
			}
		})
	}
}

package backendtest

import (
	"context"
	"testing"

	"github.com/dmplan/dmplan/backend"
)

func runNamespaces(t *testing.T, b backend.Backend) {
	t.Run("CreateIdempotent", func(t *testing.T) {
		ctx := context.Background()
		kv := b.KV()
		title := unique("PAGES")
		first, err := kv.CreateNamespace(ctx, title)
		if err != nil {
			t.Fatalf("CreateNamespace: %v", err)
		}
		if first.Title != title || first.ID == "" || first.ID == title {
			t.Fatalf("CreateNamespace = %+v, want title %q and an id that is not the title", first, title)
		}
		again, err := kv.CreateNamespace(ctx, title)
		if err != nil {
			t.Fatalf("CreateNamespace again: %v", err)
		}
		if again != first {
			t.Errorf("CreateNamespace of an existing title = %+v, want %+v", again, first)
		}
		other, err := kv.CreateNamespace(ctx, unique("USERS"))
		if err != nil {
			t.Fatalf("CreateNamespace: %v", err)
		}
		if other.ID == first.ID {
			t.Errorf("two titles share the id %q", other.ID)
		}
		list, err := kv.Namespaces(ctx)
		if err != nil {
			t.Fatalf("Namespaces: %v", err)
		}
		found := 0
		for _, ns := range list {
			if ns == first || ns == other {
				found++
			}
			if ns.Title == title && ns != first {
				t.Errorf("Namespaces lists %+v, want %+v", ns, first)
			}
		}
		if found != 2 {
			t.Errorf("Namespaces = %+v, want it to hold %+v and %+v", list, first, other)
		}
	})
}

package local_test

import (
	"context"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/internal/indextest"
)

// TestIndexKinds runs the declared index kinds' suite on SQLite files.
func TestIndexKinds(t *testing.T) {
	indextest.Run(t, func(t *testing.T) backend.Backend {
		s, err := local.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

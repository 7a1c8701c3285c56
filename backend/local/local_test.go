package local_test

import (
	"context"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/backendtest"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/internal/flowtest"
)

func TestConformance(t *testing.T) {
	newBackend := func(t *testing.T) backend.Backend {
		s, err := local.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	backendtest.Run(t, newBackend)
	flowtest.Run(t, newBackend)
}

func TestConformanceInMemory(t *testing.T) {
	newBackend := func(t *testing.T) backend.Backend {
		s, err := local.OpenMemory(context.Background())
		if err != nil {
			t.Fatalf("OpenMemory: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	backendtest.Run(t, newBackend)
	flowtest.Run(t, newBackend)
}

package cloudflare

import (
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/backendtest"
	"github.com/dmplan/dmplan/internal/flowtest"
)

// TestConformance runs the suites every backend passes (the interfaces',
// then the full flow) against real workerd D1 and KV behind the harness's
// REST paths.
func TestConformance(t *testing.T) {
	t.Parallel()
	newBackend := func(t *testing.T) backend.Backend { return newFixture(t).s }
	backendtest.Run(t, newBackend)
	flowtest.Run(t, newBackend)
}

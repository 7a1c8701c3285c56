package cloudflare

import (
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/backendtest"
)

// TestConformance runs the suite every backend passes against real workerd
// D1 and KV behind the harness's REST paths.
func TestConformance(t *testing.T) {
	t.Parallel()
	backendtest.Run(t, func(t *testing.T) backend.Backend {
		return newFixture(t).s
	})
}

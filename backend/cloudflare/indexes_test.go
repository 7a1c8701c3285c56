package cloudflare

import (
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/internal/indextest"
)

// TestIndexKinds runs the declared index kinds' suite on workerd D1 and
// KV behind the harness's REST paths.
func TestIndexKinds(t *testing.T) {
	t.Parallel()
	indextest.Run(t, func(t *testing.T) backend.Backend { return newFixture(t).s })
}

package gateway_test

import (
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/internal/indextest"
)

// TestIndexKinds runs the declared index kinds' suite through the gateway
// Worker in workerd (D1 and KV bindings): constraint errors and batches
// take the gateway's path.
func TestIndexKinds(t *testing.T) {
	indextest.Run(t, func(t *testing.T) backend.Backend { return newSlotted(t, newFixture(t)) })
}

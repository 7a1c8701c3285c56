package gateway_test

import (
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/backendtest"
	"github.com/dmplan/dmplan/internal/flowtest"
)

// TestConformance runs the suite every backend passes, and the full flow
// (plan, apply, evolve, runtime CRUD), on the gateway script in workerd
// with real D1 and KV bindings. Namespace creation, which production leaves
// to `dmplan apply`, hands out the tenant's pre-bound namespaces (see
// slotted).
func TestConformance(t *testing.T) {
	newBackend := func(t *testing.T) backend.Backend { return newSlotted(t, newFixture(t)) }
	backendtest.Run(t, newBackend)
	flowtest.Run(t, newBackend)
}

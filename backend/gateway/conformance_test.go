package gateway_test

import (
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/backendtest"
)

// TestConformance runs the suite every backend passes on the gateway
// script in workerd, with real D1 and KV bindings. Namespace creation,
// which production leaves to `dmplan apply`, hands out the tenant's
// pre-bound namespaces (see slotted).
func TestConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backend.Backend {
		return newSlotted(newFixture(t))
	})
}

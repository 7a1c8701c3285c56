package flowtest

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
)

// Run runs the flow in the sub-test "Flow" on a backend newBackend returns
// (registering its cleanup with t.Cleanup). The examples' tables have
// fixed names, so the backend's database must not hold them yet; they are
// dropped when the flow ends. KV namespaces get a unique environment, so
// the backend may be shared with other tests.
func Run(t *testing.T, newBackend func(t *testing.T) backend.Backend) {
	t.Run("Flow", func(t *testing.T) { runFlow(t, newBackend(t)) })
}

// unique returns prefix followed by a random suffix, safe as an SQL
// identifier and as a KV namespace title.
func unique(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return strings.ToLower(prefix) + "_" + hex.EncodeToString(b)
}

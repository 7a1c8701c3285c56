package backendtest

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
)

// Run runs the whole suite. newBackend returns a backend for one group of
// tests (D1, KV, Namespaces, Inspect) and registers its cleanup with
// t.Cleanup; the tests create uniquely named tables and namespaces, so a
// backend may be shared with other tests. Sub-tests are named
// "D1/TypesRoundTrip", "KV/ListPages" and so on, so one can be run with
// -run.
func Run(t *testing.T, newBackend func(t *testing.T) backend.Backend) {
	t.Run("D1", func(t *testing.T) { runD1(t, newBackend(t)) })
	t.Run("KV", func(t *testing.T) { runKV(t, newBackend(t)) })
	t.Run("Namespaces", func(t *testing.T) { runNamespaces(t, newBackend(t)) })
	t.Run("Inspect", func(t *testing.T) { runInspect(t, newBackend(t)) })
}

// unique returns prefix followed by a random suffix, safe as an SQL
// identifier and as a KV namespace title.
func unique(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return strings.ToLower(prefix) + "_" + hex.EncodeToString(b)
}

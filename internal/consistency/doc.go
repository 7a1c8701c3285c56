// Package consistency holds the end-to-end consistency tests of dmplan:
// faults injected at every write point of the runtime and the applier,
// processes killed mid-write, concurrent writers and bad stored data, on
// the local backend and on the Cloudflare harness (workerd D1 and KV).
// After each, reconcile must find exactly the affected records, reconcile
// fix must make D1 the projection of KV again, and no KV object may be
// lost or altered. It has no code of its own besides the test helpers.
package consistency

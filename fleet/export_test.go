package fleet

// SizedHarness lets the external tests (package fleet_test) share the
// one harness this package's tests start.
var SizedHarness = sizedHarness

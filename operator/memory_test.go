package operator_test

import (
	"runtime"
	"testing"

	"github.com/dmplan/dmplan/operator"
)

// liveHeapPeak runs fn and returns the highest live heap (after a
// collection) seen at any of the calls to sample fn makes.
func liveHeapPeak(fn func(sample func())) uint64 {
	var peak uint64
	sample := func() {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	sample()
	fn(sample)
	return peak
}

// TestReconcileMemoryDoesNotGrow reconciles 5,000 and 50,000 records and
// compares the live heap at its highest, measured after a collection at
// every page: ten times the records may not cost more memory beyond
// noise (keeping the 45,000 extra ids alone would take over 2 MiB).
func TestReconcileMemoryDoesNotGrow(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 55,000 records")
	}
	peaks := map[int]uint64{}
	for _, n := range []int{5000, 50000} {
		b := newBulkStore(t, n)
		ds := b.addTitle(t) // the title column is empty: every row is stale
		var rep *operator.ReconcileReport
		base := liveHeapPeak(func(func()) {})
		peak := liveHeapPeak(func(sample func()) {
			var err error
			rep, err = operator.Reconcile(b.ctx, ds, operator.ReconcileOptions{PageSize: 500, Progress: func(operator.Progress) { sample() }})
			if err != nil {
				t.Fatal(err)
			}
		})
		if m := rep.Models[0]; m.Objects != int64(n) || m.Stale != int64(n) || m.Rows != int64(n) || !m.Truncated {
			t.Fatalf("%d records: reconcile = %d objects, %d stale, %d rows", n, m.Objects, m.Stale, m.Rows)
		}
		peaks[n] = peak - min(base, peak)
		t.Logf("%d records: live heap peak %d KiB above the %d KiB before", n, peaks[n]>>10, base>>10)
		b.store.Close()
	}
	if grew := int64(peaks[50000]) - int64(peaks[5000]); grew > 512<<10 {
		t.Errorf("reconcile of 50,000 records holds %d KiB more than of 5,000: memory grows with the record count", grew>>10)
	}
}

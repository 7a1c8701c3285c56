package operator_test

// Benchmarks of reconcile and backfill over a whole table, beside a
// hand-written floor on the same driver and files. Each reports records/s,
// the peak heap while it ran, and the D1 rows read and written per record
// when the backend reports them. The table holds 20,000 records; set
// DMPLAN_BENCH_RECORDS=1000000 for the million-record run (filling it takes
// about a minute, each operation over a minute more):
//
//	DMPLAN_BENCH_RECORDS=1000000 go test -run '^$' -bench 'Backfill|Reconcile' -benchtime 1x -count 3 ./operator

import (
	"context"
	"encoding/json"
	"os"
	goruntime "runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/runtime"
)

func benchRecords(b *testing.B) int {
	if s := os.Getenv("DMPLAN_BENCH_RECORDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("DMPLAN_BENCH_RECORDS=%q: want a positive number", s)
		}
		return n
	}
	return 20000
}

// heapPeak samples the heap in use (live objects and garbage not yet
// collected) every millisecond until stopped, and returns its highest.
func heapPeak() (stop func() uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// counted sums what a backend's D1 reports of rows read and written, and
// the statements sent.
type counted struct {
	backend.Backend
	read, written, statements atomic.Int64
}

func (c *counted) D1() backend.D1 { return countedD1{c.Backend.D1(), c} }

type countedD1 struct {
	backend.D1
	c *counted
}

func (d countedD1) add(res ...*backend.Result) {
	d.c.statements.Add(int64(len(res)))
	for _, r := range res {
		if r != nil {
			d.c.read.Add(r.RowsRead)
			d.c.written.Add(r.RowsWritten)
		}
	}
}

func (d countedD1) Query(ctx context.Context, st backend.Stmt) (*backend.Result, error) {
	res, err := d.D1.Query(ctx, st)
	if err == nil {
		d.add(res)
	}
	return res, err
}

func (d countedD1) Batch(ctx context.Context, sts []backend.Stmt) ([]*backend.Result, error) {
	res, err := d.D1.Batch(ctx, sts)
	if err == nil {
		d.add(res...)
	}
	return res, err
}

// measure runs op b.N times, each over n records after reset (untimed),
// and reports records/s, the heap peak and, from c, the D1 cost per
// record.
func measure(b *testing.B, n int, c *counted, reset func(), op func()) {
	b.Helper()
	var peak uint64
	c.read.Store(0)
	c.written.Store(0)
	c.statements.Store(0)
	var elapsed, cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		reset()
		goruntime.GC()
		stop := heapPeak()
		start, cpu0 := time.Now(), cpuTime()
		b.StartTimer()
		op()
		b.StopTimer()
		elapsed, cpu = elapsed+time.Since(start), cpu+cpuTime()-cpu0
		peak = max(peak, stop())
		b.StartTimer()
	}
	records := float64(n) * float64(b.N)
	b.ReportMetric(records/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(c.statements.Load())/records*1000, "stmts/1k-records")
	if c.read.Load()+c.written.Load() > 0 {
		b.ReportMetric(float64(c.read.Load())/records, "rows-read/record")
		b.ReportMetric(float64(c.written.Load())/records, "rows-written/record")
	}
}

// BenchmarkBackfill fills a new column of every record: the operator's
// backfill (as apply runs it: progress kept) against two hand-written
// floors on the same driver and files. "baseline" is what hand-written
// code against KV and D1 can do: list a page of keys, read their objects
// in bulk, decode the field, and update the column with one UPDATE per
// row, the page's updates in one D1 batch. "sql-floor" skips what KV
// cannot do on Cloudflare: it reads keys and objects in one range scan of
// the local KV file and updates with a prepared statement.
func BenchmarkBackfill(b *testing.B) {
	n := benchRecords(b)
	bs := newBulkStore(b, n)
	bs.addTitle(b)
	c := &counted{Backend: bs.store}
	ds, err := runtime.Open(bs.ctx, bulkSpec(b, true), c)
	if err != nil {
		b.Fatal(err)
	}
	reset := func() {
		if _, err := bs.d1.Exec(`UPDATE doc SET title = NULL`); err != nil {
			b.Fatal(err)
		}
		// Each run is a new one (RunID), but a finished earlier run is
		// one row of progress either way; the table exists after the first.
		_, _ = bs.d1.Exec(`DELETE FROM _dmplan_backfill`)
	}
	run := 0
	b.Run("backfill", func(b *testing.B) {
		measure(b, n, c, reset, func() {
			run++
			res, err := operator.Backfill(bs.ctx, ds, operator.BackfillOptions{Model: "DOC", Columns: []string{"title"},
				RunID: "bench" + strconv.Itoa(run), Progress: func(operator.Progress) {}})
			if err != nil || res.Written != int64(n) {
				b.Fatalf("backfill wrote %v of %d: %v", res, n, err)
			}
		})
	})
	hc := &counted{Backend: bs.store}
	b.Run("baseline", func(b *testing.B) {
		measure(b, n, hc, reset, func() {
			if got := handBackfill(b, bs, hc); got != n {
				b.Fatalf("hand-written backfill wrote %d of %d", got, n)
			}
		})
	})
	b.Run("sql-floor", func(b *testing.B) {
		measure(b, n, &counted{}, reset, func() {
			if got := sqlBackfill(b, bs); got != n {
				b.Fatalf("hand-written backfill wrote %d of %d", got, n)
			}
		})
	})
}

// docTitle is the part of a DOC object a hand-written backfill decodes.
type docTitle struct {
	ID    string  `json:"doc_id"`
	Title *string `json:"title"`
}

// handBackfill is the hand-written backfill through the stores' API.
func handBackfill(b *testing.B, bs *bulkStore, be backend.Backend) int {
	ctx, cursor, written := bs.ctx, "", 0
	for {
		page, err := be.KV().List(ctx, bs.ns, "doc:", cursor, backend.MaxListLimit)
		if err != nil {
			b.Fatal(err)
		}
		keys := make([]string, len(page.Keys))
		for i, k := range page.Keys {
			keys[i] = k.Name
		}
		vals, err := be.KV().GetMany(ctx, bs.ns, keys)
		if err != nil {
			b.Fatal(err)
		}
		sts := make([]backend.Stmt, 0, len(keys))
		for _, k := range keys {
			var o docTitle
			if err := json.Unmarshal(vals[k], &o); err != nil {
				b.Fatal(err)
			}
			var title any
			if o.Title != nil {
				title = *o.Title
			}
			sts = append(sts, backend.Stmt{SQL: `UPDATE doc SET title = ? WHERE doc_id = ?`, Args: []any{title, o.ID}})
		}
		if len(sts) > 0 {
			if _, err := be.D1().Batch(ctx, sts); err != nil {
				b.Fatal(err)
			}
		}
		written += len(sts)
		if page.Cursor == "" {
			return written
		}
		cursor = page.Cursor
	}
}

// sqlBackfill is the floor on the local files: KV objects in pages of
// 1,000 by key from one range scan, decoded, and one prepared UPDATE per
// row in a transaction per page.
func sqlBackfill(b *testing.B, bs *bulkStore) int {
	list, err := bs.kv.Prepare(`SELECT key, value FROM entries WHERE ns = ? AND key > ? ORDER BY key LIMIT 1000`)
	if err != nil {
		b.Fatal(err)
	}
	defer list.Close()
	upd, err := bs.d1.Prepare(`UPDATE doc SET title = ? WHERE doc_id = ?`)
	if err != nil {
		b.Fatal(err)
	}
	defer upd.Close()
	after, written := "", 0
	for {
		rows, err := list.Query(bs.ns, after)
		if err != nil {
			b.Fatal(err)
		}
		var page []docTitle
		for rows.Next() {
			var key string
			var raw []byte
			if err := rows.Scan(&key, &raw); err != nil {
				b.Fatal(err)
			}
			var o docTitle
			if err := json.Unmarshal(raw, &o); err != nil {
				b.Fatal(err)
			}
			page = append(page, o)
			after = key
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
		if len(page) == 0 {
			return written
		}
		tx, err := bs.d1.Begin()
		if err != nil {
			b.Fatal(err)
		}
		st := tx.Stmt(upd)
		for _, o := range page {
			if _, err := st.Exec(o.Title, o.ID); err != nil {
				b.Fatal(err)
			}
			written++
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReconcile checks every record (no drift) and reports its heap
// peak: it must not grow with DMPLAN_BENCH_RECORDS.
func BenchmarkReconcile(b *testing.B) {
	n := benchRecords(b)
	bs := newBulkStore(b, n)
	c := &counted{Backend: bs.store}
	ds, err := runtime.Open(bs.ctx, bulkSpec(b, false), c)
	if err != nil {
		b.Fatal(err)
	}
	measure(b, n, c, func() {}, func() {
		rep, err := operator.Reconcile(bs.ctx, ds, operator.ReconcileOptions{})
		if err != nil || rep.Drifted() || rep.Objects() != int64(n) {
			b.Fatalf("reconcile: %v, %d objects, drifted %v", err, rep.Objects(), rep.Drifted())
		}
	})
}

// cpuTime is the CPU time (user + system) the process has used: on a
// machine shared with other work, the steadier measure.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

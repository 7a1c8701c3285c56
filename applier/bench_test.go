package applier

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

// Benchmarks for issue 2: plan (load + inspect + diff) of 50, 200 and 400
// generated models against a database already holding most of them, and
// apply of 200 fresh models, each beside a hand-written database/sql
// baseline on the same driver and DSN. Run with
//
//	go test -run '^$' -bench . -benchtime 20x ./applier/

// genSources returns n generated models (12 declared fields, all synced,
// 2 indexes each), ten models per file. Models in a group of ten share a
// KV namespace. When partial is set, every fifth model leaves its last two
// fields out of sync_fields and only the first 90% of models are emitted.
func genSources(n int, partial bool) map[string][]byte {
	types := []string{"string", "integer", "number", "boolean", "timestamp", "string"}
	srcs := map[string][]byte{}
	var b strings.Builder
	b.WriteString("project \"bench\" {}\n")
	limit := n
	if partial {
		limit = n * 9 / 10
	}
	for i := 0; i < limit; i++ {
		fmt.Fprintf(&b, "model \"M%04d\" {\n", i)
		var sync []string
		for f := 1; f <= 12; f++ {
			typ := types[f%len(types)]
			switch {
			case f == 2:
				fmt.Fprintf(&b, "  field \"f%02d\" {\n    type     = string\n    required = true\n  }\n", f)
			case f == 3:
				fmt.Fprintf(&b, "  field \"f%02d\" {\n    type    = string\n    default = \"new\"\n  }\n", f)
			default:
				fmt.Fprintf(&b, "  field \"f%02d\" { type = %s }\n", f, typ)
			}
			if !(partial && i%5 == 0 && f > 10) {
				sync = append(sync, fmt.Sprintf("%q", fmt.Sprintf("f%02d", f)))
			}
		}
		fmt.Fprintf(&b, "  kv { namespace = \"NS%02d\" }\n", i/10)
		fmt.Fprintf(&b, "  d1 {\n    sync_fields = [%s]\n", strings.Join(sync, ", "))
		b.WriteString("    index \"by_f02_f03\" { columns = [\"f02\", \"f03\"] }\n")
		b.WriteString("    index \"by_f04\" { columns = [\"f04\"] }\n  }\n}\n")
		if i%10 == 9 || i == limit-1 {
			srcs[fmt.Sprintf("models_%03d.dm.hcl", i/10)] = []byte(b.String())
			b.Reset()
		}
	}
	return srcs
}

func benchSpec(b testing.TB, srcs map[string][]byte) *hclspec.Spec {
	spec, diags := hclspec.LoadSources("bench", srcs)
	if diags.HasErrors() {
		b.Fatalf("load generated models: %s", diags.Error())
	}
	return spec
}

// BenchmarkPlan measures what `dmplan plan` does in process: load the HCL,
// inspect the live database and diff, against a database that already
// holds 90% of the models, a fifth of them missing two columns.
func BenchmarkPlan(b *testing.B) {
	for _, n := range []int{50, 200, 400} {
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			ctx := context.Background()
			store := openStore(b)
			mustApply(b, store, makePlan(b, store, benchSpec(b, genSources(n, true))), Options{})
			srcs := genSources(n, false)
			b.ResetTimer()
			var steps int
			cpu := processCPU()
			for b.Loop() {
				spec, diags := hclspec.LoadSources("bench", srcs)
				if diags.HasErrors() {
					b.Fatal(diags.Error())
				}
				live, err := backend.Inspect(ctx, store.D1(), store.KV())
				if err != nil {
					b.Fatal(err)
				}
				steps = len(planner.Diff(spec, "local", live).Steps)
			}
			b.ReportMetric(float64(steps), "steps")
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkPlanBaseline is the hand-written floor for BenchmarkPlan: read
// the same database's schema with plain database/sql (sqlite_master, then
// table_info and index_list per table), without loading or diffing.
func BenchmarkPlanBaseline(b *testing.B) {
	for _, n := range []int{50, 200, 400} {
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			store, err := local.Open(context.Background(), dir)
			if err != nil {
				b.Fatal(err)
			}
			mustApply(b, store, makePlan(b, store, benchSpec(b, genSources(n, true))), Options{})
			store.Close()
			db, err := sql.Open("sqlite", local.DSN(filepath.Join(dir, local.D1File), 5*time.Second))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			b.ResetTimer()
			cpu := processCPU()
			for b.Loop() {
				rawInspect(b, db)
			}
			reportCPU(b, cpu)
		})
	}
}

func rawInspect(b *testing.B, db *sql.DB) {
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		b.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			b.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	for _, t := range tables {
		for _, q := range []string{"PRAGMA table_info(%q)", "PRAGMA index_list(%q)"} {
			r, err := db.Query(fmt.Sprintf(q, t))
			if err != nil {
				b.Fatal(err)
			}
			cols, _ := r.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for r.Next() {
				if err := r.Scan(ptrs...); err != nil {
					b.Fatal(err)
				}
			}
			r.Close()
		}
	}
}

// BenchmarkApply applies 200 fresh models (namespaces, 200 tables, 400
// indexes, history) to a new local store; the plan is made outside the
// timer. batches=100 uses the default limit of 100 statements per batch
// (7 transactions); batches=one lets the whole plan run as one batch, as a
// backend implementing BatchLimiter without limits does.
func BenchmarkApply(b *testing.B) {
	ctx := context.Background()
	spec := benchSpec(b, genSources(200, false))
	for _, one := range []bool{false, true} {
		name := "batches=100"
		if one {
			name = "batches=one"
		}
		b.Run(name, func(b *testing.B) {
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				store := openStore(b)
				var target backend.Backend = store
				if one {
					target = unlimitedStore{store}
				}
				p := makePlan(b, store, spec)
				b.StartTimer()
				c0 := processCPU()
				if _, err := Apply(ctx, target, p, Options{}); err != nil {
					b.Fatal(err)
				}
				cpu += processCPU() - c0
				b.StopTimer()
				store.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// BenchmarkApplyBaseline is the hand-written equivalent of BenchmarkApply:
// the same SQL statements executed in one transaction with database/sql on
// the same driver and DSN, into a fresh database file.
func BenchmarkApplyBaseline(b *testing.B) {
	spec := benchSpec(b, genSources(200, false))
	var stmts []string
	for _, s := range planner.Diff(spec, "local", nil).Steps {
		stmts = append(stmts, s.SQL...)
	}
	b.ReportMetric(float64(len(stmts)), "stmts")
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "d1.sqlite")
		db, err := sql.Open("sqlite", local.DSN(path, 5*time.Second))
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Ping(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c0 := processCPU()
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range stmts {
			if _, err := tx.Exec(q); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		cpu += processCPU() - c0
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// reportCPU reports the process CPU time used since start per operation.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((processCPU()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkPlanPhases splits BenchmarkPlan into its three parts.
func BenchmarkPlanPhases(b *testing.B) {
	for _, n := range []int{50, 200, 400} {
		ctx := context.Background()
		store := openStore(b)
		mustApply(b, store, makePlan(b, store, benchSpec(b, genSources(n, true))), Options{})
		srcs := genSources(n, false)
		spec := benchSpec(b, srcs)
		live, _ := backend.Inspect(ctx, store.D1(), store.KV())
		b.Run(fmt.Sprintf("load/%d", n), func(b *testing.B) {
			cpu := processCPU()
			for b.Loop() {
				hclspec.LoadSources("bench", srcs)
			}
			reportCPU(b, cpu)
		})
		b.Run(fmt.Sprintf("inspect/%d", n), func(b *testing.B) {
			cpu := processCPU()
			for b.Loop() {
				backend.Inspect(ctx, store.D1(), store.KV())
			}
			reportCPU(b, cpu)
		})
		b.Run(fmt.Sprintf("diff/%d", n), func(b *testing.B) {
			cpu := processCPU()
			for b.Loop() {
				planner.Diff(spec, "local", live)
			}
			reportCPU(b, cpu)
		})
	}
}

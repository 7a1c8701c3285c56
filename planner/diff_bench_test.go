package planner

import (
	"fmt"
	"testing"
	"time"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// benchModels returns n models of 12 synced fields and 2 indexes, and the
// live schema holding 90% of them with every fifth missing two columns.
func benchModels(n int) (*hclspec.Spec, *state.Schema) {
	var ms []*hclspec.Model
	for i := range n {
		var fs []*hclspec.Field
		var sync []string
		for f := range 12 {
			name := fmt.Sprintf("f%02d", f)
			fs = append(fs, fld(name, hclspec.FieldType(1+f%8)))
			sync = append(sync, name)
		}
		table := fmt.Sprintf("m%04d", i)
		ms = append(ms, newModel(fmt.Sprintf("M%04d", i), table, "id", fmt.Sprintf("NS%02d", i/10), fs, sync,
			index(table, "a", false, "f01", "f02"), index(table, "b", false, "f03")))
	}
	spec := newSpec(ms...)
	live := liveOf(spec)
	live.Tables = live.Tables[:n*9/10]
	for i, t := range live.Tables {
		if i%5 == 0 {
			t.Columns = t.Columns[:len(t.Columns)-2]
		}
	}
	return spec, live
}

// BenchmarkDiff measures the planner alone (no I/O). Its hand-written
// baseline is BenchmarkDiffBaseline: the same comparison as plain nested
// map lookups, without reasons, checks or SQL.
func BenchmarkDiff(b *testing.B) {
	for _, n := range []int{50, 200, 400} {
		spec, live := benchModels(n)
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			cpu := processCPU()
			for b.Loop() {
				Diff(spec, "local", live)
			}
			reportCPU(b, cpu)
		})
	}
}

func BenchmarkDiffBaseline(b *testing.B) {
	for _, n := range []int{50, 200, 400} {
		spec, live := benchModels(n)
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			cpu := processCPU()
			defer reportCPU(b, cpu)
			for b.Loop() {
				want := Desired(spec, "local")
				have := map[string]map[string]bool{}
				for _, t := range live.Tables {
					cols := map[string]bool{}
					for _, c := range t.Columns {
						cols[c.Name] = true
					}
					have[t.Name] = cols
				}
				missing := 0
				for _, t := range want.Tables {
					cols, ok := have[t.Name]
					if !ok {
						missing++
						continue
					}
					for _, c := range t.Columns {
						if !cols[c.Name] {
							missing++
						}
					}
				}
				_ = missing
			}
		})
	}
}

// reportCPU reports the process CPU time used since start per operation.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((processCPU()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

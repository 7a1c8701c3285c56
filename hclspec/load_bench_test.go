package hclspec_test

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// genModels writes n models of 12 fields and 2 indexes each, one file per
// 50 models.
func genModels(n int) map[string][]byte {
	srcs := map[string][]byte{}
	var b strings.Builder
	types := []string{"string", "text", "integer", "number", "boolean", "timestamp", "json", "array"}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "model \"M%03d\" {\n", i)
		for j := 0; j < 12; j++ {
			fmt.Fprintf(&b, "  field \"f%02d\" { type = %s }\n", j, types[j%len(types)])
		}
		fmt.Fprintf(&b, "  d1 {\n    sync_fields = [\"f00\", \"f02\", \"f03\", \"f04\", \"f08\"]\n")
		fmt.Fprintf(&b, "    index \"by_f00\" { columns = [\"f00\"] }\n")
		fmt.Fprintf(&b, "    index \"by_f02_f03\" { columns = [\"f02\", \"f03\"] }\n  }\n}\n\n")
		if (i+1)%50 == 0 || i == n-1 {
			srcs[fmt.Sprintf("models%03d.dm.hcl", i/50)] = []byte(b.String())
			b.Reset()
		}
	}
	return srcs
}

// BenchmarkLoad measures parsing, normalization and validation.
func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{50, 200, 400} {
		srcs := genModels(n)
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, diags := hclspec.LoadSources("bench", srcs); len(diags) > 0 {
					b.Fatal(diags)
				}
			}
		})
	}
}

// BenchmarkParseOnly is the hand-written baseline: HCL's parser and a
// schema decode of the top level, without any of hclspec's work.
func BenchmarkParseOnly(b *testing.B) {
	schema := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "model", LabelNames: []string{"name"}}}}
	for _, n := range []int{50, 200, 400} {
		srcs := genModels(n)
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			for b.Loop() {
				for name, src := range srcs {
					f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
					if diags.HasErrors() {
						b.Fatal(diags)
					}
					if _, diags := f.Body.Content(schema); diags.HasErrors() {
						b.Fatal(diags)
					}
				}
			}
		})
	}
}

// BenchmarkParseOnlyParallel is the baseline for LoadSources as it runs
// now, with files parsed on GOMAXPROCS goroutines: HCL's parser and a
// schema decode of the top level per file, spread the same way.
func BenchmarkParseOnlyParallel(b *testing.B) {
	schema := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "model", LabelNames: []string{"name"}}}}
	for _, n := range []int{50, 200, 400} {
		srcs := genModels(n)
		names := make([]string, 0, len(srcs))
		for name := range srcs {
			names = append(names, name)
		}
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			for b.Loop() {
				work := make(chan string, len(names))
				for _, name := range names {
					work <- name
				}
				close(work)
				var wg sync.WaitGroup
				for range runtime.GOMAXPROCS(0) {
					wg.Go(func() {
						for name := range work {
							f, diags := hclsyntax.ParseConfig(srcs[name], name, hcl.InitialPos)
							if diags.HasErrors() {
								panic(diags.Error())
							}
							if _, diags := f.Body.Content(schema); diags.HasErrors() {
								panic(diags.Error())
							}
						}
					})
				}
				wg.Wait()
			}
		})
	}
}

package hclspec

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/dmplan/dmplan/internal/benchgen"
)

func TestSplitTopLevel(t *testing.T) {
	block := func(name string) string { return "model \"" + name + "\" {\n  field \"a\" { type = string }\n}\n" }
	tests := []struct {
		name string
		src  string
		want []string // the pieces; nil: parsed whole
	}{
		{"blocks", block("A") + block("B") + block("C"),
			[]string{block("A"), block("B"), block("C")}},
		{"blank lines and comments stay with the block before",
			block("A") + "\n# about B\n" + block("B"),
			[]string{block("A"), "\n# about B\n" + block("B")}},
		{"comment after the closing brace",
			"model \"A\" {\n} # done\n" + block("B"),
			[]string{"model \"A\" {\n} # done\n", block("B")}},
		{"slash comments",
			"model \"A\" {\n} // done\n/* B\nnext */\n" + block("B"),
			[]string{"model \"A\" {\n} // done\n", "/* B\nnext */\n" + block("B")}},
		{"braces in strings and templates",
			"model \"A\" {\n  x = \"}\\\"${ \"}\" }%{ if true }{%{ endif }$${\"\n}\n" + block("B"),
			[]string{"model \"A\" {\n  x = \"}\\\"${ \"}\" }%{ if true }{%{ endif }$${\"\n}\n", block("B")}},
		{"nested blocks are not cut", "model \"A\" {\n  d1 {\n  }\n}\n" + block("B"),
			[]string{"model \"A\" {\n  d1 {\n  }\n}\n", block("B")}},
		{"objects at the top level", "x = {\n}\n" + block("B"),
			[]string{"x = {\n}\n", block("B")}},
		{"CRLF", "model \"A\" {\r\n}\r\n" + block("B"),
			[]string{"model \"A\" {\r\n}\r\n", block("B")}},
		{"a brace not last on its line", "model \"A\" {\n} x\n" + block("B"), []string{"model \"A\" {\n} x\n" + block("B")}},
		{"heredoc", block("A") + "x = <<EOT\n}\nEOT\n" + block("B"), nil},
		{"unterminated string", block("A") + "x = \"abc\n" + block("B"), nil},
		{"unterminated comment", block("A") + "/* " + block("B"), nil},
		{"unbalanced close", block("A") + "}\n" + block("B"), nil},
		{"unbalanced open", block("A") + "model \"B\" {\n", nil},
		{"unterminated template", block("A") + "x = \"${\"\n" + block("B"), nil},
		{"small file", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := []byte(tt.src)
			cuts := splitTopLevel(src, 1)
			if tt.want == nil {
				if cuts != nil {
					t.Fatalf("cuts = %v, want the file parsed whole", cuts)
				}
				return
			}
			var got []string
			prev := 0
			for _, c := range append(cuts, len(src)) {
				got = append(got, string(src[prev:c]))
				prev = c
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("pieces:\n%q\nwant:\n%q", got, tt.want)
			}
		})
	}
	if cuts := splitTopLevel([]byte(block("A")+block("B")), 1<<10); cuts != nil {
		t.Errorf("a file under twice the piece size was cut at %v", cuts)
	}
}

// parsePieces parses src in pieces of at least minPiece bytes and joins
// their bodies as the whole file's would be. whole reports that
// LoadSources would parse the file again as one (needsWhole).
func parsePieces(src []byte, name string, minPiece int) (file *hcl.File, diags hcl.Diagnostics, n int, whole bool) {
	f := newFilePieces(name, src, minPiece)
	for i := range f.pieces {
		f.parse(i)
	}
	if len(f.pieces) == 1 {
		return f.pieces[0].file, f.pieces[0].diags, 1, false
	}
	body := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}}
	for i, p := range f.pieces {
		diags = append(diags, p.diags...)
		pb := p.file.Body.(*hclsyntax.Body)
		if i == 0 {
			body.SrcRange = pb.SrcRange
		}
		body.SrcRange.End = pb.SrcRange.End
		body.EndRange = pb.EndRange
		body.Blocks = append(body.Blocks, pb.Blocks...)
		for n, a := range pb.Attributes {
			body.Attributes[n] = a
		}
	}
	return &hcl.File{Body: body, Bytes: src}, diags, len(f.pieces), f.needsWhole()
}

// sameParse reports how the pieces' parse of src differs from the whole
// file's: "" when LoadSources would parse it whole anyway, or when the
// whole file parses without errors to the same blocks, attributes and
// ranges.
func sameParse(src []byte, minPiece int) (string, int) {
	split, sd, n, whole := parsePieces(src, "f.dm.hcl", minPiece)
	if whole {
		return "", n
	}
	full, wd := hclsyntax.ParseConfig(src, "f.dm.hcl", hcl.InitialPos)
	if wd.HasErrors() != sd.HasErrors() {
		return fmt.Sprintf("errors: whole %v, pieces %v", wd, sd), n
	}
	if wd.HasErrors() {
		return "", n // a single piece: the whole file
	}
	wb, sb := full.Body.(*hclsyntax.Body), split.Body.(*hclsyntax.Body)
	if !reflect.DeepEqual(wb.Blocks, sb.Blocks) {
		return "the blocks differ", n
	}
	if !reflect.DeepEqual(wb.Attributes, sb.Attributes) {
		return "the attributes differ", n
	}
	if wb.SrcRange != sb.SrcRange || wb.EndRange != sb.EndRange {
		return fmt.Sprintf("body ranges %v %v, want %v %v", sb.SrcRange, sb.EndRange, wb.SrcRange, wb.EndRange), n
	}
	return "", n
}

// TestSplitParseSame parses every file the repository has, whole and in
// pieces as small as one block, and wants the same syntax trees.
func TestSplitParseSame(t *testing.T) {
	srcs := map[string][]byte{}
	for _, pattern := range []string{"../examples/*.dm.hcl", "testdata/errors/*.dm.hcl", "../internal/rttest/testdata/*.dm.hcl", "../cmd/dmplan/testdata/*/*.dm.hcl"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			srcs[f] = b
		}
	}
	for name, b := range benchgen.Sources(60) {
		srcs["generated/"+name] = b
	}
	if len(srcs) < 10 {
		t.Fatalf("only %d files found", len(srcs))
	}
	cut := 0
	for name, src := range srcs {
		for _, min := range []int{1, 200, minPiece} {
			diff, n := sameParse(src, min)
			if diff != "" {
				t.Errorf("%s in pieces of %d bytes: %s", name, min, diff)
			}
			if n > 1 {
				cut++
			}
		}
	}
	if cut == 0 {
		t.Fatal("no file was cut into pieces")
	}
}

// TestLoadSplitSameAsWhole loads generated configurations, with a broken
// model in the middle of a big file, in pieces and whole, and wants the
// same models and diagnostics.
func TestLoadSplitSameAsWhole(t *testing.T) {
	srcs := benchgen.Sources(120)
	bad := "model \"broken\" {\n  field \"x\" { type = strin }\n  field \"x\" { type = string }\n}\n"
	for n, b := range srcs {
		if len(b) > 4*minPiece {
			s := string(b)
			i := strings.Index(s[len(s)/2:], "\n}\n") + len(s)/2 + 3
			srcs[n] = []byte(s[:i] + bad + s[i:])
		}
	}
	load := func(size int) (*Spec, []string) {
		defer func(old int) { pieceSize = old }(pieceSize)
		pieceSize = size
		spec, diags := LoadSources("p", srcs)
		var text []string
		for _, d := range diags {
			text = append(text, d.Error())
		}
		return spec, text
	}
	whole, wantDiags := load(1 << 30)
	for _, size := range []int{1, minPiece} {
		spec, diags := load(size)
		if !reflect.DeepEqual(diags, wantDiags) {
			t.Errorf("pieces of %d: diagnostics\n%s\nwant\n%s", size, strings.Join(diags, "\n"), strings.Join(wantDiags, "\n"))
		}
		if len(spec.Models) != len(whole.Models) {
			t.Fatalf("pieces of %d: %d models, want %d", size, len(spec.Models), len(whole.Models))
		}
		for i, m := range spec.Models {
			if !reflect.DeepEqual(m, whole.Models[i]) {
				t.Errorf("pieces of %d: model %s differs", size, m.Name)
			}
		}
	}
	if len(whole.Models) != 121 || len(wantDiags) < 2 || !strings.Contains(strings.Join(wantDiags, "\n"), "strin") {
		t.Fatalf("%d models; diagnostics:\n%s", len(whole.Models), strings.Join(wantDiags, "\n"))
	}
}

// FuzzSplit: for any input, a parse in pieces agrees with the whole-file
// parse on errors, and on the syntax tree when there are none.
func FuzzSplit(f *testing.F) {
	AddFuzzSeeds(f)
	f.Add([]byte("a = \"${ \"}\" }\"\nb {\n}\nc = 1\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		if CheckNesting("f.dm.hcl", src).HasErrors() {
			return // never handed to the parser (LoadSources)
		}
		if diff, _ := sameParse(src, 1); diff != "" {
			t.Fatal(diff)
		}
	})
}

// TestLoadSplitMistakesAsWhole: a big file with syntax errors or top-level
// arguments gives exactly the diagnostics of a whole-file load, however it
// was cut (HCL's recovery after a syntax error depends on what it parses,
// and repeated arguments are checked across the whole body).
func TestLoadSplitMistakesAsWhole(t *testing.T) {
	var pad strings.Builder
	for i := range 30 {
		fmt.Fprintf(&pad, "model \"M%d\" {\n  field \"f\" { type = string }\n}\n", i)
	}
	p := pad.String()
	broken := "model \"B%d\" {\n  field \"x\" {\n    type =\n  }\n}\n"
	tests := map[string]string{
		"two syntax errors":           "project \"p\" {}\n" + p + fmt.Sprintf(broken, 1) + p + fmt.Sprintf(broken, 2),
		"a stray word, then a model":  "project \"p\" {}\n\"oops\"\n" + p + "model \"M29\" {\n  field \"g\" { type = strng }\n}\n",
		"an argument set twice":       "project \"p\" {}\nx = 1\n" + p + "x = 2\n",
		"a brace too many in a model": p + "model \"Z\" {\n  d1 {\n  }}\n}\n" + p,
		"an unclosed string":          p + "model \"S\" {\n  field \"s\" {\n    type = \"string\n  }\n}\n" + p,
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			srcs := map[string][]byte{"big.dm.hcl": []byte(src)}
			load := func(size int) string {
				defer func(old int) { pieceSize = old }(pieceSize)
				pieceSize = size
				_, diags := LoadSources("p", srcs)
				var text []string
				for _, d := range diags {
					text = append(text, d.Error())
				}
				return strings.Join(text, "\n")
			}
			want := load(1 << 30)
			if want == "" {
				t.Fatal("the whole file loads without diagnostics")
			}
			for _, size := range []int{1, 200, minPiece} {
				if got := load(size); got != want {
					t.Errorf("pieces of %d:\n%s\nwant (whole file):\n%s", size, got, want)
				}
			}
		})
	}
}

// FuzzLoadPieces: for any input, loading in pieces (as small as one block)
// gives the models and diagnostics of a whole-file load.
func FuzzLoadPieces(f *testing.F) {
	AddFuzzSeeds(f)
	load := func(src []byte, size int) string {
		defer func(old int) { pieceSize = old }(pieceSize)
		pieceSize = size
		spec, diags := LoadSources("p", map[string][]byte{"f.dm.hcl": src})
		var b strings.Builder
		for _, m := range spec.Models {
			fmt.Fprintf(&b, "model %s %s %d\n", m.Name, m.D1.Table, len(m.Fields))
		}
		for _, d := range diags {
			b.WriteString(d.Error())
			b.WriteString("\n")
		}
		return b.String()
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if whole, pieces := load(src, 1<<30), load(src, 1); whole != pieces {
			t.Fatalf("in pieces:\n%s\nwhole:\n%s", pieces, whole)
		}
	})
}

package hclspec

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// FileSuffix is the suffix of the files LoadDir reads.
const FileSuffix = ".dm.hcl"

// LoadDir loads every *.dm.hcl file directly in dir (not in
// subdirectories), in name order. The files are named in diagnostics and in
// Spec.Files and Spec.Sources by their path joined to dir. The default
// project name is the directory's base name, lower-cased and sanitized.
//
// The Spec is never nil, even when the diagnostics hold errors, so that the
// caller can print them with WriteDiagnostics.
func LoadDir(dir string) (*Spec, hcl.Diagnostics) {
	name := dir
	if abs, err := filepath.Abs(dir); err == nil {
		name = abs
	}
	project := sanitizeProjectName(filepath.Base(name))

	entries, err := os.ReadDir(dir)
	if err != nil {
		s := newSpec(project)
		return s, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read configuration directory",
			Detail:   err.Error(),
		}}
	}
	srcs := map[string][]byte{}
	var diags hcl.Diagnostics
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), FileSuffix) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read configuration file",
				Detail:   err.Error(),
			})
			continue
		}
		srcs[path] = b
	}
	if len(srcs) == 0 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No configuration files",
			Detail:   "The directory " + dir + " holds no *" + FileSuffix + " files. dmplan reads the model definitions from them.",
		})
	}
	s, more := LoadSources(project, srcs)
	diags = append(diags, more...)
	return s, append(diags, projectFromDirWarning(s, filepath.Base(name), diags)...)
}

// LoadSources loads configuration files given as contents by name, the way
// LoadDir does for a directory; it is how a saved plan re-reads the HCL it
// carries. project is the project name used when no project block sets one.
func LoadSources(project string, srcs map[string][]byte) (*Spec, hcl.Diagnostics) {
	s := newSpec(sanitizeProjectName(project))
	names := make([]string, 0, len(srcs))
	for n := range srcs {
		names = append(names, n)
	}
	sort.Strings(names)

	var diags hcl.Diagnostics
	var bodies []hcl.Body
	for i, p := range parseAll(names, srcs) {
		n := names[i]
		s.Sources[n] = srcs[n]
		diags = append(diags, p.diags...)
		if p.file == nil {
			continue
		}
		s.Files[n] = p.file
		bodies = append(bodies, p.file.Body)
	}
	diags = dropFollowUps(append(diags, s.decode(bodies)...))
	sortByRange(diags, subjectRange)
	return s, diags
}

// parsed is the outcome of parsing one file.
type parsed struct {
	file  *hcl.File
	diags hcl.Diagnostics
}

// parseAll parses the named sources, in parallel on up to GOMAXPROCS
// goroutines (HCL's lexer and parser are most of the cost of loading, and
// files are independent), and returns the results in the order of names.
func parseAll(names []string, srcs map[string][]byte) []parsed {
	out := make([]parsed, len(names))
	workers := min(runtime.GOMAXPROCS(0), len(names))
	if workers <= 1 {
		for i, n := range names {
			out[i].file, out[i].diags = hclsyntax.ParseConfig(srcs[n], n, hcl.InitialPos)
		}
		return out
	}
	// Larger files first, so that one big file last does not leave the
	// other workers idle.
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(srcs[names[order[a]]]) > len(srcs[names[order[b]]]) })
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= len(order) {
					return
				}
				i := order[k]
				out[i].file, out[i].diags = hclsyntax.ParseConfig(srcs[names[i]], names[i], hcl.InitialPos)
			}
		})
	}
	wg.Wait()
	return out
}

func newSpec(project string) *Spec {
	return &Spec{
		Project: Project{Name: project},
		Files:   map[string]*hcl.File{},
		Sources: map[string][]byte{},
	}
}

// Hash returns a hex SHA-256 over the sources in name order, each as its
// base name and contents, so the same files hash the same from any
// directory.
func (s *Spec) Hash() string {
	names := make([]string, 0, len(s.Sources))
	for n := range s.Sources {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		bi, bj := filepath.Base(names[i]), filepath.Base(names[j])
		if bi != bj {
			return bi < bj
		}
		return names[i] < names[j]
	})
	h := sha256.New()
	for _, n := range names {
		writeLenPrefixed(h, []byte(filepath.Base(n)))
		writeLenPrefixed(h, s.Sources[n])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeLenPrefixed(w io.Writer, b []byte) {
	var n [8]byte
	l := uint64(len(b))
	for i := range n {
		n[i] = byte(l >> (8 * i))
	}
	_, _ = w.Write(n[:])
	_, _ = w.Write(b)
}

package hclspec

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"maps"
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
// Spec.Sources by their path joined to dir. The default
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

	// A file nested too deep for HCL's recursive parser is reported and
	// not parsed (see MaxNesting).
	var deep hcl.Diagnostics
	parse := names[:0:0]
	for _, n := range names {
		s.Sources[n] = srcs[n]
		if d := CheckNesting(n, srcs[n]); d.HasErrors() {
			deep = append(deep, d...)
			continue
		}
		parse = append(parse, n)
	}
	d := &decoder{spec: s, ranges: map[*Model]*modelRanges{}}
	diags := append(deep, dropFollowUps(d.decode(d.parseAll(parse, srcs)))...)
	sortByRange(diags, subjectRange)
	return s, diags
}

// pieceSize is the piece size parseAll cuts files into; tests change it to
// compare loads in pieces with whole-file loads.
var pieceSize = minPiece

// parseAll parses the named sources and decodes their top-level blocks.
// HCL's lexer and parser are most of the cost of loading, so the files'
// pieces (see splitTopLevel) are parsed in parallel on up to GOMAXPROCS
// goroutines, larger pieces first so that a big one last does not leave
// the other workers idle. Each worker decodes the model blocks of the
// pieces it parsed at once and lets their syntax trees go: a model is
// decoded on its own (crossModel relates them later), and the trees of a
// few hundred models would otherwise all be alive at the end of parsing.
func (d *decoder) parseAll(names []string, srcs map[string][]byte) []*topLevel {
	files := make([]*filePieces, len(names))
	type job struct{ file, piece int }
	var jobs []job
	for i, n := range names {
		files[i] = newFilePieces(n, srcs[n], pieceSize)
		for k := range files[i].pieces {
			jobs = append(jobs, job{i, k})
		}
	}
	size := func(j job) int {
		p := files[j.file].pieces[j.piece]
		return p.end - p.start.Byte
	}
	sort.SliceStable(jobs, func(a, b int) bool { return size(jobs[a]) > size(jobs[b]) })
	tops := make([][]*topLevel, len(names))
	for i := range tops {
		tops[i] = make([]*topLevel, len(files[i].pieces))
	}

	workers := min(runtime.GOMAXPROCS(0), len(jobs))
	var next atomic.Int64
	work := func() {
		// Each worker records ranges in its own decoder; they are merged
		// into d.ranges afterwards.
		wd := &decoder{spec: d.spec, ranges: map[*Model]*modelRanges{}}
		for {
			k := int(next.Add(1)) - 1
			if k >= len(jobs) {
				break
			}
			j := jobs[k]
			f := files[j.file]
			f.parse(j.piece)
			p := &f.pieces[j.piece]
			tops[j.file][j.piece] = wd.topLevel(p.file.Body, p.diags)
			p.file = nil // let the syntax tree go
		}
		d.mu.Lock()
		maps.Copy(d.ranges, wd.ranges)
		d.mu.Unlock()
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()

	var out []*topLevel
	for i, f := range files {
		if f.needsWhole() {
			file, diags := hclsyntax.ParseConfig(f.src, f.name, hcl.InitialPos)
			tops[i] = []*topLevel{d.topLevel(file.Body, diags)}
		}
		out = append(out, tops[i]...)
	}
	return out
}

func newSpec(project string) *Spec {
	return &Spec{
		Project: Project{Name: project},
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

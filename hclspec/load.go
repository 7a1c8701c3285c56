package hclspec

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

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
	return s, append(diags, more...)
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
	for _, n := range names {
		s.Sources[n] = srcs[n]
		f, d := hclsyntax.ParseConfig(srcs[n], n, hcl.InitialPos)
		diags = append(diags, d...)
		if f == nil {
			continue
		}
		s.Files[n] = f
		bodies = append(bodies, f.Body)
	}
	diags = dropFollowUps(append(diags, s.decode(bodies)...))
	sortByRange(diags, subjectRange)
	return s, diags
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

package fleet

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
)

// ErrNamesFile is wrapped by every error about the file of names.
var ErrNamesFile = errors.New("fleet: bad names file")

// ErrNoDatabases is wrapped by the CLI's error for a databases block that
// selects no database: plan, drift and apply refuse an empty fleet, so a
// typo in a prefix never passes as a fleet with nothing to do.
var ErrNoDatabases = errors.New("selects no database")

// Resolve returns the fleet's databases, sorted by name: the databases of
// src the selector picks (prefix, pattern), or the listed names (names,
// file), each marked Missing when src does not hold it. base is the
// configuration directory, against which a relative file is read. It lists
// src once.
func Resolve(ctx context.Context, f *hclspec.Fleet, base string, src Source) ([]Database, error) {
	names := f.Names
	if f.File != "" {
		p := f.File
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, p)
		}
		var err error
		if names, err = ReadNames(p, f.File); err != nil {
			return nil, err
		}
	}
	if fd, ok := src.(finder); ok && f.Prefix == "" && f.Pattern == "" && len(names) <= findLimit {
		return resolveByName(ctx, f, names, fd)
	}
	live, err := src.List(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case f.Prefix != "":
		return filter(live, func(n string) bool { return strings.HasPrefix(n, f.Prefix) }), nil
	case f.Pattern != "":
		return filter(live, func(n string) bool { ok, _ := path.Match(f.Pattern, n); return ok }), nil
	}
	byName := make(map[string]Database, len(live))
	for _, d := range live {
		byName[d.Name] = d
	}
	out := make([]Database, 0, len(names))
	for _, n := range names {
		d, ok := byName[n]
		if !ok {
			d = Database{Name: n, Missing: true}
			if f.Create {
				d.Create, d.Jurisdiction = true, f.Jurisdiction
			}
		}
		out = append(out, d)
	}
	sortDatabases(out)
	return out, nil
}

// finder is a Source that can look one database up by name in less than
// a whole list (Cloudflare: the list API's name filter, one request,
// where listing an account of a million databases is a thousand).
type finder interface {
	Find(ctx context.Context, name string) (Database, bool, error)
}

// findLimit is how many listed names Resolve looks up one by one rather
// than listing the source: a few requests more than a small account's
// list, far fewer than a large one's.
const findLimit = 16

// resolveByName is Resolve of a short names list, a look-up per name.
func resolveByName(ctx context.Context, f *hclspec.Fleet, names []string, src finder) ([]Database, error) {
	out := make([]Database, 0, len(names))
	for _, n := range names {
		d, ok, err := src.Find(ctx, n)
		if err != nil {
			return nil, err
		}
		if !ok {
			d = Database{Name: n, Missing: true}
			if f.Create {
				d.Create, d.Jurisdiction = true, f.Jurisdiction
			}
		}
		out = append(out, d)
	}
	sortDatabases(out)
	return out, nil
}

func filter(dbs []Database, keep func(string) bool) []Database {
	out := make([]Database, 0, len(dbs))
	for _, d := range dbs {
		if keep(d.Name) {
			out = append(out, d)
		}
	}
	sortDatabases(out)
	return out
}

// ReadNames reads a file of database names: one per line, blank lines and
// text after "#" ignored. Every bad or repeated name is reported with its
// line, as shown:line: what.
func ReadNames(p, shown string) ([]string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%w: read %s: %w", ErrNamesFile, shown, errors.Unwrap(err))
	}
	var names []string
	var problems []string
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			continue
		case !hclspec.ValidDatabaseName(s):
			problems = append(problems, fmt.Sprintf("%s:%d: %q is not a database name (1 to 64 letters, digits, \"-\" or \"_\")", shown, line, s))
			continue
		}
		if prev, ok := seen[s]; ok {
			problems = append(problems, fmt.Sprintf("%s:%d: %s is listed again (first on line %d)", shown, line, s, prev))
			continue
		}
		seen[s] = line
		names = append(names, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: read %s: %w", ErrNamesFile, shown, err)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w:\n  %s", ErrNamesFile, strings.Join(problems, "\n  "))
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: %s lists no database", ErrNamesFile, shown)
	}
	return names, nil
}

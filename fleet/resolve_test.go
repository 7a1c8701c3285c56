package fleet_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/hclspec"
)

func TestResolveLocal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, n := range []string{"tenant-b", "tenant-a", "other", "tenant-c"} {
		if err := os.MkdirAll(filepath.Join(dir, n), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n, "d1.sqlite"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A directory without a database is no member.
	if err := os.MkdirAll(filepath.Join(dir, "tenant-empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tenants.txt"), []byte("# customers\ntenant-a\n\n  tenant-z  # signed up today\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := fleet.OpenLocal(ctx, dir, true)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	tests := []struct {
		name string
		f    hclspec.Fleet
		want string
	}{
		{"prefix", hclspec.Fleet{Prefix: "tenant-"}, "tenant-a tenant-b tenant-c"},
		{"pattern", hclspec.Fleet{Pattern: "*r"}, "other"},
		{"names", hclspec.Fleet{Names: []string{"tenant-c", "nope"}}, "nope(missing) tenant-c"},
		{"file", hclspec.Fleet{File: "tenants.txt"}, "tenant-a tenant-z(missing)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbs, err := fleet.Resolve(ctx, &tt.f, dir, src)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range dbs {
				s := d.Name
				if d.Missing {
					s += "(missing)"
				}
				got = append(got, s)
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("got %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}

func TestReadNamesErrors(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.txt")
	if err := os.WriteFile(p, []byte("a\nb/c\na\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := fleet.ReadNames(p, "t.txt")
	if !errors.Is(err, fleet.ErrNamesFile) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{`t.txt:2: "b/c" is not a database name`, "t.txt:3: a is listed again (first on line 1)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\ndoes not say %q", err, want)
		}
	}
	if _, err := fleet.ReadNames(filepath.Join(t.TempDir(), "none"), "none.txt"); !errors.Is(err, fleet.ErrNamesFile) || !strings.Contains(err.Error(), "none.txt") || strings.Contains(err.Error(), "/") {
		t.Errorf("missing file: %v", err)
	}
}

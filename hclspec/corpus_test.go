package hclspec

import (
	"os"
	"path/filepath"
	"testing"
)

// AddFuzzSeeds adds every error file and example, and files nested past
// MaxNesting, to the seed corpus of a
// fuzz target of the loader. It is exported for the external test package
// (FuzzLoad) too.
func AddFuzzSeeds(f *testing.F) {
	for _, pattern := range []string{"testdata/errors/*.dm.hcl", "testdata/adopt/*.dm.hcl", "../examples/*.dm.hcl"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	// Nesting deep enough to overflow HCL's recursive parser.
	for _, src := range deepSources() {
		f.Add(src)
	}
}

package trickymodels_test

import (
	"github.com/dmplan/dmplan/gen/internal/trickymodels"
	"github.com/dmplan/dmplan/hclspec"
	"testing"
)

func TestKeys(t *testing.T) {
	s, _ := hclspec.LoadDir("../../testdata/tricky")
	for _, c := range []struct{ model, got string }{{"PAGE", trickymodels.PageKey2("1")}, {"PAGE_KEY", trickymodels.PageKeyKey("1")}, {"ENV", trickymodels.EnvKey("1")}} {
		if want := s.Model(c.model).KV.Key("1"); c.got != want {
			t.Errorf("%s key %q, want %q", c.model, c.got, want)
		}
	}
}

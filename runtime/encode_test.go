package runtime

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/hclspec"
)

func TestEncodeObjectMatchesEncodingJSON(t *testing.T) {
	m, err := compileModel(&hclspec.Model{
		Name: "T", PrimaryKey: "id",
		Fields: []*hclspec.Field{
			{Name: "id", Type: hclspec.String, Primary: true, Synced: true},
			{Name: "s", Type: hclspec.String}, {Name: "n", Type: hclspec.Integer},
			{Name: "f", Type: hclspec.Number}, {Name: "b", Type: hclspec.Boolean},
			{Name: "j", Type: hclspec.JSON}, {Name: "a", Type: hclspec.Array},
		},
		D1: hclspec.D1{Table: "t", SyncFields: []string{"id"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "é", "\"", "\\", "\n", "\t", "\x00", "\x1f", "<", ">", "&", "\u2028", "\u2029", "\xff", "\xc3", "😀", " ", "/"}
	randString := func() string {
		var b strings.Builder
		for i := rng.IntN(12); i > 0; i-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	floats := []float64{0, -0.5, 1.5, 1e21, 1e-7, 123456789, -3, math.MaxFloat64, 1e20}
	for i := 0; i < 2000; i++ {
		data := map[string]any{"id": randString(), "s": randString(), "n": rng.Int64() - rng.Int64(),
			"f": floats[rng.IntN(len(floats))], "b": rng.IntN(2) == 0,
			"j": map[string]any{randString(): []any{randString(), 1.5, nil}}, "a": []any{randString()},
			"old_" + randString(): randString()}
		if rng.IntN(3) == 0 {
			data["s"] = nil
		}
		got, err := m.encodeObject(nil, data)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(data)
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("invalid JSON %q: %v", got, err)
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(w, g); d != "" {
			t.Fatalf("decoded differently (-json.Marshal +encodeObject):\n%s\n%q", d, got)
		}
	}
}

package fullmodels_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/gen/internal/fullmodels"
)

// TestTSObjectMatchesKV reads KV objects the Go runtime wrote (every field
// set, and only the required ones) and checks them against the generated
// TypeScript interface Item: every key is a field of the interface, every
// field the interface requires is there, and each value's JSON kind is
// one the field's TypeScript type allows.
func TestTSObjectMatchesKV(t *testing.T) {
	src, err := os.ReadFile("../../testdata/golden/full.gen.ts")
	if err != nil {
		t.Fatal(err)
	}
	iface := tsInterface(t, string(src), "Item")
	f := setup(t)
	items, err := fullmodels.ItemModel(f.ds.Auth("u1"))
	if err != nil {
		t.Fatal(err)
	}
	full, err := items.Create(f.ctx, fullItem())
	if err != nil {
		t.Fatal(err)
	}
	bare, err := items.Create(f.ctx, &fullmodels.Item{
		Name: "bare", Kind: fullmodels.ItemKindGone, Attrs: json.RawMessage(`{}`), Tags: []any{}, Released: start,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{full.ItemID, bare.ItemID} {
		var obj map[string]any
		if err := json.Unmarshal(f.kvObject(t, "ITEMS", fullmodels.ItemKey(id)), &obj); err != nil {
			t.Fatal(err)
		}
		for k, v := range obj {
			field, ok := iface[k]
			if !ok {
				t.Errorf("%s: KV key %s is not a field of interface Item", id, k)
				continue
			}
			if !tsAllows(field.typ, v) {
				t.Errorf("%s: %s = %#v does not fit %s", id, k, v, field.typ)
			}
		}
		for name, field := range iface {
			if _, ok := obj[name]; !ok && !field.optional {
				t.Errorf("%s: Item requires %s, the KV object lacks it", id, name)
			}
		}
	}
}

type tsField struct {
	typ      string
	optional bool
}

var tsFieldLine = regexp.MustCompile(`^\t(\w+)(\??): (.+);$`)

func tsInterface(t *testing.T, src, name string) map[string]tsField {
	t.Helper()
	_, body, ok := strings.Cut(src, "\nexport interface "+name+" {\n")
	if !ok {
		t.Fatalf("no interface %s", name)
	}
	body, _, _ = strings.Cut(body, "\n}\n")
	out := map[string]tsField{}
	for _, line := range strings.Split(body, "\n") {
		if m := tsFieldLine.FindStringSubmatch(line); m != nil {
			out[m[1]] = tsField{typ: m[3], optional: m[2] == "?"}
		}
	}
	return out
}

// tsAllows reports whether a decoded JSON value fits a generated type.
func tsAllows(typ string, v any) bool {
	for _, alt := range strings.Split(typ, " | ") {
		switch x := v.(type) {
		case nil:
			if alt == "null" || alt == "JsonValue" {
				return true
			}
		case string:
			if alt == "string" || alt == "JsonValue" || alt == jsonQuote(x) {
				return true
			}
		case float64:
			if alt == "number" || alt == "JsonValue" {
				return true
			}
		case bool:
			if alt == "boolean" || alt == "JsonValue" {
				return true
			}
		case []any:
			if alt == "JsonValue[]" || alt == "JsonValue" {
				return true
			}
			if alt == "string[]" {
				all := true
				for _, e := range x {
					_, s := e.(string)
					all = all && s
				}
				return all
			}
		case map[string]any:
			if alt == "JsonValue" {
				return true
			}
		}
	}
	return false
}

func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

package hclspec

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// FromGo converts a plain Go value (nil, string, bool, the integer and
// float kinds, json.Number, time.Time, []any, []string, map[string]any) to
// a cty value, the inverse of ToGo. Times become ISO-8601 strings.
func FromGo(v any) (cty.Value, error) {
	switch x := v.(type) {
	case nil:
		return cty.NullVal(cty.DynamicPseudoType), nil
	case cty.Value:
		return x, nil
	case string:
		return cty.StringVal(x), nil
	case bool:
		return cty.BoolVal(x), nil
	case int:
		return cty.NumberIntVal(int64(x)), nil
	case int32:
		return cty.NumberIntVal(int64(x)), nil
	case int64:
		return cty.NumberIntVal(x), nil
	case uint32:
		return cty.NumberUIntVal(uint64(x)), nil
	case uint64:
		return cty.NumberUIntVal(x), nil
	case float32:
		return cty.NumberFloatVal(float64(x)), nil
	case float64:
		return cty.NumberFloatVal(x), nil
	case json.Number:
		n, err := cty.ParseNumberVal(string(x))
		if err != nil {
			return cty.NilVal, fmt.Errorf("parse number: %w", err)
		}
		return n, nil
	case time.Time:
		return cty.StringVal(FormatTimestamp(x)), nil
	case []string:
		vals := make([]cty.Value, len(x))
		for i, s := range x {
			vals[i] = cty.StringVal(s)
		}
		return cty.TupleVal(vals), nil
	case []any:
		vals := make([]cty.Value, len(x))
		for i, e := range x {
			c, err := FromGo(e)
			if err != nil {
				return cty.NilVal, fmt.Errorf("element %d: %w", i, err)
			}
			vals[i] = c
		}
		return cty.TupleVal(vals), nil
	case map[string]any:
		attrs := make(map[string]cty.Value, len(x))
		for _, k := range sortedKeys(x) {
			c, err := FromGo(x[k])
			if err != nil {
				return cty.NilVal, fmt.Errorf("attribute %q: %w", k, err)
			}
			attrs[k] = c
		}
		return cty.ObjectVal(attrs), nil
	}
	return cty.NilVal, fmt.Errorf("hclspec: no cty form for Go type %T", v)
}

// ObjectValue returns rec as the object hook expressions see as self or
// changes: every field of the model is an attribute, null when rec lacks
// it, so self.title and changes.status never fail on a missing key.
// Keys of rec that are not fields are left out.
func (m *Model) ObjectValue(rec map[string]any) (cty.Value, error) {
	attrs := make(map[string]cty.Value, len(m.Fields))
	for _, f := range m.Fields {
		v, ok := rec[f.Name]
		if !ok || v == nil {
			attrs[f.Name] = cty.NullVal(cty.DynamicPseudoType)
			continue
		}
		c, err := FromGo(v)
		if err != nil {
			return cty.NilVal, fmt.Errorf("field %s: %w", f.Name, err)
		}
		attrs[f.Name] = c
	}
	return cty.ObjectVal(attrs), nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"time"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/zclconf/go-cty/cty"
)

// maxDepth bounds nesting when converting values, so cycles cannot hang.
const maxDepth = 64

// recordValue converts a record (self) or a change set to the object hook
// expressions see. Every field of the model is an attribute, null (of the
// field's type) when m lacks it, so `changes.status == "completed"` is
// false rather than an error when status did not change. Keys of m that
// are not fields are kept. Errors name the key, never the value.
func recordValue(model *hclspec.Model, m map[string]any) (cty.Value, error) {
	attrs := make(map[string]cty.Value, len(model.Fields)+len(m))
	for _, f := range model.Fields {
		attrs[f.Name] = cty.NullVal(fieldType(f.Type))
	}
	for k, v := range m {
		cv, err := toCty(v, 0)
		if err != nil {
			return cty.NilVal, fmt.Errorf("convert %s: %w", k, err)
		}
		attrs[k] = cv
	}
	return cty.ObjectVal(attrs), nil
}

// fieldType is the cty type of a field's values; json and array fields
// can hold anything.
func fieldType(t hclspec.FieldType) cty.Type {
	switch t {
	case hclspec.String, hclspec.Text, hclspec.Timestamp:
		return cty.String
	case hclspec.Integer, hclspec.Number:
		return cty.Number
	case hclspec.Boolean:
		return cty.Bool
	}
	return cty.DynamicPseudoType
}

var errNotFinite = errors.New("number is not finite")

// toCty converts a plain Go value: nil, strings, booleans, numbers,
// json.Number, time.Time (as a stored timestamp), slices and string-keyed
// maps of those; anything else goes through encoding/json.
func toCty(v any, depth int) (cty.Value, error) {
	if depth > maxDepth {
		return cty.NilVal, errors.New("nested too deeply")
	}
	switch x := v.(type) {
	case nil:
		return cty.NullVal(cty.DynamicPseudoType), nil
	case string:
		return cty.StringVal(x), nil
	case bool:
		return cty.BoolVal(x), nil
	case int:
		return cty.NumberIntVal(int64(x)), nil
	case int64:
		return cty.NumberIntVal(x), nil
	case int32:
		return cty.NumberIntVal(int64(x)), nil
	case uint64:
		return cty.NumberUIntVal(x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return cty.NilVal, errNotFinite
		}
		return cty.NumberFloatVal(x), nil
	case float32:
		return toCty(float64(x), depth)
	case json.Number:
		n, err := cty.ParseNumberVal(string(x))
		if err != nil {
			return cty.NilVal, errors.New("invalid json.Number")
		}
		return n, nil
	case time.Time:
		return cty.StringVal(x.UTC().Format(TimeFormat)), nil
	case []byte:
		return cty.StringVal(string(x)), nil
	case json.RawMessage:
		var out any
		if err := json.Unmarshal(x, &out); err != nil {
			return cty.NilVal, errors.New("invalid JSON")
		}
		return toCty(out, depth+1)
	case map[string]any:
		attrs := make(map[string]cty.Value, len(x))
		for k, e := range x {
			c, err := toCty(e, depth+1)
			if err != nil {
				return cty.NilVal, err
			}
			attrs[k] = c
		}
		return cty.ObjectVal(attrs), nil
	case []any:
		elems := make([]cty.Value, len(x))
		for i, e := range x {
			c, err := toCty(e, depth+1)
			if err != nil {
				return cty.NilVal, err
			}
			elems[i] = c
		}
		return cty.TupleVal(elems), nil
	}
	return reflectToCty(reflect.ValueOf(v), depth)
}

// reflectToCty handles other numbers, pointers, slices and string-keyed
// maps by reflection, and everything else by a JSON round trip.
func reflectToCty(rv reflect.Value, depth int) (cty.Value, error) {
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return cty.NumberIntVal(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return cty.NumberVal(new(big.Float).SetUint64(rv.Uint())), nil
	case reflect.Float32, reflect.Float64:
		return toCty(rv.Float(), depth)
	case reflect.String:
		return cty.StringVal(rv.String()), nil
	case reflect.Bool:
		return cty.BoolVal(rv.Bool()), nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return cty.NullVal(cty.DynamicPseudoType), nil
		}
		return toCty(rv.Elem().Interface(), depth+1)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return cty.NullVal(cty.DynamicPseudoType), nil
		}
		elems := make([]cty.Value, rv.Len())
		for i := range elems {
			c, err := toCty(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return cty.NilVal, err
			}
			elems[i] = c
		}
		return cty.TupleVal(elems), nil
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			if rv.IsNil() {
				return cty.NullVal(cty.DynamicPseudoType), nil
			}
			attrs := make(map[string]cty.Value, rv.Len())
			for it := rv.MapRange(); it.Next(); {
				c, err := toCty(it.Value().Interface(), depth+1)
				if err != nil {
					return cty.NilVal, err
				}
				attrs[it.Key().String()] = c
			}
			return cty.ObjectVal(attrs), nil
		}
	case reflect.Invalid:
		return cty.NullVal(cty.DynamicPseudoType), nil
	case reflect.Func, reflect.Chan, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		return cty.NilVal, fmt.Errorf("values of type %s have no HCL form", rv.Type())
	}
	b, err := json.Marshal(rv.Interface())
	if err != nil {
		return cty.NilVal, fmt.Errorf("values of type %s have no HCL form", rv.Type())
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return cty.NilVal, fmt.Errorf("values of type %s have no HCL form", rv.Type())
	}
	return toCty(out, depth+1)
}

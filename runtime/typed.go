package runtime

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/dmplan/dmplan/hclspec"
)

// TypedModel is a model's records as Go values: T is a struct whose
// fields are the model's fields, named by their json tags (dmplan gen
// -lang go writes one per model, with a constructor). Values go through
// the same validation, hooks and dual write as the dynamic API; a
// TypedModel is a thin layer over a Handle and is safe for concurrent use.
//
// Field types: string for string and text; time.Time (or string) for
// timestamp; any Go integer for integer; float64 or float32 for number;
// bool for boolean; json.RawMessage (or any JSON-encodable type) for
// json; a slice for array; []byte for blob. A pointer, nil slice or nil
// json.RawMessage is an unset field (null), as is the zero time.Time.
type TypedModel[T any] struct {
	h     *Handle
	m     *model
	codec *typedCodec
}

type typedCodec struct {
	fields []typedField
}

// typedField maps a struct field to a model field.
type typedField struct {
	index []int // reflect field index
	name  string
	spec  *hclspec.Field
	ptr   bool // the Go field is a pointer
	typ   reflect.Type
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	rawJSONType = reflect.TypeFor[json.RawMessage]()
)

// Typed returns the typed handle of the model over h. It fails with
// ErrUnknownModel for a model the datastore does not have, and with
// ErrInvalid listing every struct field that names no field of the model
// or whose Go type cannot hold the field's values.
func Typed[T any](h *Handle, model string) (*TypedModel[T], error) {
	if h == nil || h.ds == nil {
		return nil, fmt.Errorf("%w: typed model %s: nil handle", ErrInvalid, model)
	}
	m, err := h.ds.model(model)
	if err != nil {
		return nil, err
	}
	rt := reflect.TypeFor[T]()
	if rt.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%w: typed model %s: %s is not a struct", ErrInvalid, model, rt)
	}
	c := &typedCodec{}
	var problems []string
	byName := map[string]string{} // model field -> Go field
	for _, sf := range reflect.VisibleFields(rt) {
		if !sf.IsExported() || sf.Anonymous {
			continue
		}
		if viaPointer(rt, sf.Index) {
			problems = append(problems, fmt.Sprintf("%s.%s is promoted through an embedded pointer; embed the struct itself", rt.Name(), sf.Name))
			continue
		}
		name := sf.Name
		if tag, ok := sf.Tag.Lookup("json"); ok {
			n, _, _ := strings.Cut(tag, ",")
			if n == "-" {
				continue
			}
			if n != "" {
				name = n
			}
		}
		if prev, ok := byName[name]; ok {
			problems = append(problems, fmt.Sprintf("%s.%s and %s.%s both name field %s", rt.Name(), prev, rt.Name(), sf.Name, name))
			continue
		}
		byName[name] = sf.Name
		f := m.fields[name]
		if f == nil {
			problems = append(problems, fmt.Sprintf("%s.%s (json %q) is not a field of %s", rt.Name(), sf.Name, name, model))
			continue
		}
		tf := typedField{index: sf.Index, name: name, spec: f, typ: sf.Type}
		if sf.Type.Kind() == reflect.Pointer {
			tf.ptr, tf.typ = true, sf.Type.Elem()
		}
		if !holds(f.Type, tf.typ) {
			problems = append(problems, fmt.Sprintf("%s.%s is %s, which cannot hold %s field %s", rt.Name(), sf.Name, sf.Type, f.Type, name))
			continue
		}
		c.fields = append(c.fields, tf)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: typed model %s: %s", ErrInvalid, model, strings.Join(problems, "; "))
	}
	return &TypedModel[T]{h: h, m: m, codec: c}, nil
}

// viaPointer reports whether the field at index is reached through an
// embedded pointer, which a zero value leaves nil.
func viaPointer(t reflect.Type, index []int) bool {
	for _, i := range index[:len(index)-1] {
		f := t.Field(i)
		if f.Type.Kind() == reflect.Pointer {
			return true
		}
		t = f.Type
	}
	return false
}

// holds reports whether Go type t can carry values of the field type.
func holds(ft hclspec.FieldType, t reflect.Type) bool {
	k := t.Kind()
	switch ft {
	case hclspec.String, hclspec.Text:
		return k == reflect.String
	case hclspec.Timestamp:
		return t == timeType || k == reflect.String
	case hclspec.Integer:
		return k >= reflect.Int && k <= reflect.Uint64
	case hclspec.Number:
		return k == reflect.Float64 || k == reflect.Float32
	case hclspec.Boolean:
		return k == reflect.Bool
	case hclspec.Array:
		return (k == reflect.Slice || k == reflect.Array) && t != rawJSONType || k == reflect.Interface
	case hclspec.Blob:
		return k == reflect.Slice && t.Elem().Kind() == reflect.Uint8
	case hclspec.JSON:
		return k != reflect.Func && k != reflect.Chan && k != reflect.Complex64 && k != reflect.Complex128
	}
	return false
}

// Model returns the model name.
func (t *TypedModel[T]) Model() string { return t.m.name }

// Handle returns the handle the typed model works through.
func (t *TypedModel[T]) Handle() *Handle { return t.h }

// Values returns v's fields as the dynamic API's values (Record.SetAll):
// nil for an unset field.
func (t *TypedModel[T]) Values(v *T) map[string]any {
	out := make(map[string]any, len(t.codec.fields))
	rv := reflect.ValueOf(v).Elem()
	for _, f := range t.codec.fields {
		out[f.name] = f.value(rv.FieldByIndex(f.index))
	}
	return out
}

// value is a struct field's value for the runtime.
func (f *typedField) value(v reflect.Value) any {
	if f.ptr {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Map, reflect.Interface:
		if v.IsNil() {
			return nil
		}
	}
	if v.Type() == rawJSONType && string(bytes.TrimSpace(v.Bytes())) == "null" {
		return nil // JSON null is an unset field, as a nil RawMessage is
	}
	if v.Type() == timeType {
		tm := v.Interface().(time.Time)
		if tm.IsZero() {
			return nil
		}
		return tm
	}
	switch f.spec.Type {
	case hclspec.String, hclspec.Text, hclspec.Timestamp:
		return v.String()
	case hclspec.Integer:
		if v.CanInt() {
			return v.Int()
		}
		u := v.Uint()
		if u > math.MaxInt64 {
			return float64(u) // out of range: validation says so
		}
		return int64(u)
	case hclspec.Number:
		return v.Float()
	case hclspec.Boolean:
		return v.Bool()
	case hclspec.Blob:
		return append([]byte(nil), v.Bytes()...)
	}
	return v.Interface()
}

// Decode returns the record as a T. A stored value its Go field cannot
// hold (a Worker wrote a number into a string field) is an error naming
// the field.
func (t *TypedModel[T]) Decode(r *Record) (*T, error) {
	return t.decode(r.data, r.ID())
}

func (t *TypedModel[T]) decode(data map[string]any, id string) (*T, error) {
	out := new(T)
	rv := reflect.ValueOf(out).Elem()
	var problems []string
	for _, f := range t.codec.fields {
		v, ok := data[f.name]
		if !ok || v == nil {
			continue
		}
		dst := rv.FieldByIndex(f.index)
		if f.ptr {
			p := reflect.New(f.typ)
			if err := f.set(p.Elem(), v); err != nil {
				problems = append(problems, f.name+": "+err.Error())
				continue
			}
			dst.Set(p)
			continue
		}
		if err := f.set(dst, v); err != nil {
			problems = append(problems, f.name+": "+err.Error())
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: decode %s %s: %s", ErrInvalid, t.m.name, id, strings.Join(problems, "; "))
	}
	return out, nil
}

// set stores a runtime value into dst, which has the field's Go type.
func (f *typedField) set(dst reflect.Value, v any) error {
	switch {
	case f.typ == timeType:
		var tm time.Time
		switch x := v.(type) {
		case string:
			var ok bool
			if tm, ok = parseStoredTime(x); !ok {
				return fmt.Errorf("stored value is not an RFC 3339 or SQLite timestamp")
			}
		case time.Time:
			tm = x
		default:
			return fmt.Errorf("stored %T is not a timestamp", v)
		}
		dst.Set(reflect.ValueOf(tm))
		return nil
	case f.typ == rawJSONType:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("stored value is not JSON: %w", err)
		}
		dst.SetBytes(b)
		return nil
	case f.spec.Type == hclspec.Blob:
		switch x := v.(type) {
		case []byte:
			dst.SetBytes(append([]byte(nil), x...))
			return nil
		case string:
			b, err := base64.StdEncoding.DecodeString(x)
			if err != nil {
				return fmt.Errorf("stored value is not base64")
			}
			dst.SetBytes(b)
			return nil
		}
		return fmt.Errorf("stored %T is not a blob", v)
	}
	switch dst.Kind() {
	case reflect.String:
		if s, ok := v.(string); ok {
			dst.SetString(s)
			return nil
		}
		return fmt.Errorf("stored %T is not a string", v)
	case reflect.Bool:
		if b, ok := v.(bool); ok {
			dst.SetBool(b)
			return nil
		}
		return fmt.Errorf("stored %T is not a boolean", v)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := toInt64(v)
		if !ok || dst.OverflowInt(n) {
			return fmt.Errorf("stored value does not fit %s", dst.Type())
		}
		dst.SetInt(n)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, ok := toInt64(v)
		if !ok || n < 0 || dst.OverflowUint(uint64(n)) {
			return fmt.Errorf("stored value does not fit %s", dst.Type())
		}
		dst.SetUint(uint64(n))
		return nil
	case reflect.Float32, reflect.Float64:
		x, ok := toFloat64(v)
		if !ok || dst.OverflowFloat(x) {
			return fmt.Errorf("stored value does not fit %s", dst.Type())
		}
		dst.SetFloat(x)
		return nil
	}
	// Arrays, JSON values and anything else: through their JSON form.
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("stored value is not JSON: %w", err)
	}
	p := reflect.New(dst.Type())
	if err := json.Unmarshal(b, p.Interface()); err != nil {
		return fmt.Errorf("stored value does not fit %s: %w", dst.Type(), err)
	}
	dst.Set(p.Elem())
	return nil
}

// equal reports whether two values of the Go field are the same value.
func (f *typedField) equal(a, b reflect.Value) bool {
	if f.ptr {
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		a, b = a.Elem(), b.Elem()
	}
	if f.typ == timeType {
		return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// Create saves a new record with v's fields and returns it as stored: with
// its id, timestamps and defaults. A zero primary key ("" or 0) is unset:
// the record gets a new id (an integer key: the one D1 assigns).
func (t *TypedModel[T]) Create(ctx context.Context, v *T) (*T, error) {
	if v == nil {
		return nil, t.nilValue("create")
	}
	r := &Record{h: t.h, m: t.m, data: t.Values(v)}
	for k, x := range r.data {
		if x == nil {
			delete(r.data, k) // unset: the default applies
		}
	}
	for _, f := range t.codec.fields {
		if f.spec.Primary && (r.data[f.name] == int64(0) || r.data[f.name] == "") {
			// A zero key is no key: the runtime (or D1, for an integer
			// key) assigns one.
			delete(r.data, f.name)
		}
	}
	if err := r.Save(ctx); err != nil {
		return nil, err
	}
	return t.Decode(r)
}

// Get returns record id. Errors are Handle.Get's.
func (t *TypedModel[T]) Get(ctx context.Context, id string, opts ...ReadOption) (*T, error) {
	r, err := t.h.Get(ctx, t.m.name, id, opts...)
	if err != nil {
		return nil, err
	}
	return t.Decode(r)
}

// Update loads record id, sets every field whose value in v differs from
// the stored one (a nil pointer clears the field) and saves it; it returns
// the record as stored. Fields the runtime manages (created_at, updated_at,
// deleted_at) are never set from v.
func (t *TypedModel[T]) Update(ctx context.Context, id string, v *T) (*T, error) {
	if v == nil {
		return nil, t.nilValue("update")
	}
	r, err := t.h.Get(ctx, t.m.name, id)
	if err != nil {
		return nil, err
	}
	return t.update(ctx, r, v)
}

// nilValue is the error of an operation given a nil *T.
func (t *TypedModel[T]) nilValue(verb string) error {
	return fmt.Errorf("%w: %s %s: nil value", ErrInvalid, verb, t.m.name)
}

// update sets the fields of v that differ from the loaded record r and
// saves it.
func (t *TypedModel[T]) update(ctx context.Context, r *Record, v *T) (*T, error) {
	cur, err := t.Decode(r)
	if err != nil {
		return nil, err
	}
	nv, cv := reflect.ValueOf(v).Elem(), reflect.ValueOf(cur).Elem()
	for _, f := range t.codec.fields {
		if f.spec.Auto || (f.spec.BuiltIn && f.name == hclspec.FieldDeletedAt) {
			continue
		}
		a, b := nv.FieldByIndex(f.index), cv.FieldByIndex(f.index)
		if f.equal(a, b) {
			continue
		}
		r.Set(f.name, f.value(a))
	}
	if err := r.Save(ctx); err != nil {
		return nil, err
	}
	return t.Decode(r)
}

// Delete deletes record id (soft unless the model has soft_delete = false).
func (t *TypedModel[T]) Delete(ctx context.Context, id string) error {
	return t.h.Delete(ctx, t.m.name, id)
}

// Restore clears deleted_at of the soft-deleted record id.
func (t *TypedModel[T]) Restore(ctx context.Context, id string) error {
	return t.h.Restore(ctx, t.m.name, id)
}

// TypedQuery is a Query whose List returns T values: the full records
// (the KV objects, read with WithData).
type TypedQuery[T any] struct {
	t *TypedModel[T]
	q *Query
}

// Query starts a query of the model (see Handle.Query).
func (t *TypedModel[T]) Query() *TypedQuery[T] {
	return &TypedQuery[T]{t: t, q: t.h.Query(t.m.name).WithData()}
}

// Where is Query.Where.
func (q *TypedQuery[T]) Where(field string, value any) *TypedQuery[T] {
	q.q.Where(field, value)
	return q
}

// WhereOp is Query.WhereOp.
func (q *TypedQuery[T]) WhereOp(field, op string, value any) *TypedQuery[T] {
	q.q.WhereOp(field, op, value)
	return q
}

// WhereIn is Query.WhereIn.
func (q *TypedQuery[T]) WhereIn(field string, values ...any) *TypedQuery[T] {
	q.q.WhereIn(field, values...)
	return q
}

// OrderBy is Query.OrderBy.
func (q *TypedQuery[T]) OrderBy(field string, dir Direction) *TypedQuery[T] {
	q.q.OrderBy(field, dir)
	return q
}

// Limit is Query.Limit.
func (q *TypedQuery[T]) Limit(n int) *TypedQuery[T] { q.q.Limit(n); return q }

// Page is Query.Page.
func (q *TypedQuery[T]) Page(n int) *TypedQuery[T] { q.q.Page(n); return q }

// Offset is Query.Offset.
func (q *TypedQuery[T]) Offset(n int) *TypedQuery[T] { q.q.Offset(n); return q }

// After is Query.After.
func (q *TypedQuery[T]) After(cursor string) *TypedQuery[T] { q.q.After(cursor); return q }

// Total is Query.Total.
func (q *TypedQuery[T]) Total(mode TotalMode) *TypedQuery[T] { q.q.Total(mode); return q }

// IncludeDeleted is Query.IncludeDeleted.
func (q *TypedQuery[T]) IncludeDeleted() *TypedQuery[T] { q.q.IncludeDeleted(); return q }

// OnlyDeleted is Query.OnlyDeleted.
func (q *TypedQuery[T]) OnlyDeleted() *TypedQuery[T] { q.q.OnlyDeleted(); return q }

// Untyped returns the underlying Query.
func (q *TypedQuery[T]) Untyped() *Query { return q.q }

// TypedResult is one page of a TypedQuery.
type TypedResult[T any] struct {
	Items      []*T
	Pagination Pagination
	Cost       Cost
}

// List runs the query and decodes the page's records.
func (q *TypedQuery[T]) List(ctx context.Context) (*TypedResult[T], error) {
	res, err := q.q.List(ctx)
	if err != nil {
		return nil, err
	}
	out := &TypedResult[T]{Items: make([]*T, 0, len(res.Data)), Pagination: res.Pagination, Cost: res.Cost}
	for _, d := range res.Data {
		id, _ := d[q.t.m.pk].(string)
		v, err := q.t.decode(d, id)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}

// Count is Query.Count.
func (q *TypedQuery[T]) Count(ctx context.Context) (int64, error) { return q.q.Count(ctx) }

// sqliteTimeLayouts are the forms SQLite's date functions and
// CURRENT_TIMESTAMP write (UTC), read as well as RFC 3339 from columns
// another tool made.
var sqliteTimeLayouts = []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02"}

// parseStoredTime parses a stored timestamp: RFC 3339, or SQLite's text
// form in UTC.
func parseStoredTime(s string) (time.Time, bool) {
	if tm, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return tm, true
	}
	for _, l := range sqliteTimeLayouts {
		if tm, err := time.Parse(l, s); err == nil {
			return tm, true
		}
	}
	return time.Time{}, false
}

package view

import (
	"reflect"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/hclspec"
)

// Text from configuration files and from the live database (names,
// defaults, enum values, seed names, reasons that quote them, errors) may
// hold control characters: an ESC sequence that recolours or rewrites the
// terminal, a carriage return that overwrites a line, a bidi override that
// reorders what a reviewer reads. The views never print such text raw:
//
//   - the human and markdown views pass the data they are given through
//     clean, which escapes every string in it (hclspec.EscapeControl), and
//     errors through escapeErr;
//   - diagnostics print through hclspec.WriteDiagnostics, which escapes
//     the summary, the detail and the quoted source line;
//   - the JSON view relies on encoding/json for C0 controls (\u001b) and
//     escapes the rest (DEL, C1, bidi, line separators) with jsonSafe, so
//     the document decodes to the same strings.
//
// Only the data is escaped: the views' own styling is added afterwards.

// clean returns a deep copy of v with every string escaped by
// hclspec.EscapeControl. Values without such text are returned unchanged
// (the copy is made only when something needs escaping).
func clean[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	if !needsEscape(rv, 0) {
		return v
	}
	out := reflect.New(rv.Type()).Elem()
	copyEscaped(out, rv, 0)
	return out.Interface().(T)
}

// maxCleanDepth bounds the walk; view data nests a few levels.
const maxCleanDepth = 32

func needsEscape(v reflect.Value, depth int) bool {
	if depth > maxCleanDepth {
		return false
	}
	switch v.Kind() {
	case reflect.String:
		return hclspec.EscapeControl(v.String()) != v.String()
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && needsEscape(v.Elem(), depth+1)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() && needsEscape(v.Field(i), depth+1) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if needsEscape(v.Index(i), depth+1) {
				return true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if needsEscape(it.Key(), depth+1) || needsEscape(it.Value(), depth+1) {
				return true
			}
		}
	}
	return false
}

// copyEscaped sets dst (settable, of src's type) to a copy of src with its
// strings escaped. Unexported fields are copied as they are.
func copyEscaped(dst, src reflect.Value, depth int) {
	if depth > maxCleanDepth {
		dst.Set(src)
		return
	}
	switch src.Kind() {
	case reflect.String:
		dst.SetString(hclspec.EscapeControl(src.String()))
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Elem().Type())
		copyEscaped(p.Elem(), src.Elem(), depth+1)
		dst.Set(p)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		e := reflect.New(src.Elem().Type()).Elem()
		copyEscaped(e, src.Elem(), depth+1)
		dst.Set(e)
	case reflect.Struct:
		dst.Set(src) // unexported fields, as they are
		for i := 0; i < src.NumField(); i++ {
			if src.Type().Field(i).IsExported() {
				copyEscaped(dst.Field(i), src.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := 0; i < src.Len(); i++ {
			copyEscaped(s.Index(i), src.Index(i), depth+1)
		}
		dst.Set(s)
	case reflect.Array:
		for i := 0; i < src.Len(); i++ {
			copyEscaped(dst.Index(i), src.Index(i), depth+1)
		}
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			k := reflect.New(it.Key().Type()).Elem()
			copyEscaped(k, it.Key(), depth+1)
			val := reflect.New(it.Value().Type()).Elem()
			copyEscaped(val, it.Value(), depth+1)
			m.SetMapIndex(k, val)
		}
		dst.Set(m)
	default:
		dst.Set(src)
	}
}

// escapedError is an error whose text is escaped; it unwraps to the
// original.
type escapedError struct{ err error }

func (e escapedError) Error() string { return hclspec.EscapeControl(e.err.Error()) }
func (e escapedError) Unwrap() error { return e.err }

// escapeErr returns err with its text escaped for printing.
func escapeErr(err error) error {
	if err == nil {
		return nil
	}
	return escapedError{err}
}

// cleanDiagnostics returns the diagnostics with summary, detail and file
// name escaped, for the writers that do not escape them themselves.
func cleanDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	out := make(hcl.Diagnostics, 0, len(diags))
	for _, d := range diags {
		if d == nil {
			continue
		}
		c := *d
		c.Summary, c.Detail = hclspec.EscapeControl(d.Summary), hclspec.EscapeControl(d.Detail)
		if d.Subject != nil {
			r := *d.Subject
			r.Filename = hclspec.EscapeControl(r.Filename)
			c.Subject = &r
		}
		out = append(out, &c)
	}
	return out
}

// jsonSafe rewrites encoded JSON so that DEL, C1 controls, bidi controls
// and line separators appear as \u escapes (encoding/json escapes the C0
// controls itself). Such characters occur only inside JSON strings, where
// the escape decodes to the same character.
func jsonSafe(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		esc := r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x2028 || r == 0x2029
		if esc && out == nil {
			out = append(make([]byte, 0, len(b)+16), b[:i]...)
		}
		switch {
		case esc:
			out = append(out, `\u`...)
			out = append(out, hexRune(r)...)
		case out != nil:
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	if out == nil {
		return b
	}
	return out
}

func hexRune(r rune) []byte {
	const digits = "0123456789abcdef"
	return []byte{digits[r>>12&15], digits[r>>8&15], digits[r>>4&15], digits[r&15]}
}

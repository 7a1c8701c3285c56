package runtime

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"unicode/utf8"
)

// encode returns the KV value of a record, sized from the last one.
func (m *model) encode(data map[string]any) ([]byte, error) {
	b, err := m.encodeObject(make([]byte, 0, m.sizeHint.Load()+64), data)
	if err == nil {
		m.sizeHint.Store(int64(len(b)))
	}
	return b, err
}

// encodeObject encodes a record as a JSON object: the model's fields in
// storage order, then any other keys (kept from objects written before a
// field left the Spec) sorted. Strings, integers, booleans and nulls are
// written directly, without reflection; other values go through
// encoding/json. The output decodes to the same values json.Marshal's
// would (HTML characters are not escaped; both forms are valid JSON).
func (m *model) encodeObject(buf []byte, data map[string]any) ([]byte, error) {
	buf = append(buf, '{')
	n := 0
	for i, f := range m.spec.Fields {
		v, ok := data[f.Name]
		if !ok {
			continue
		}
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, m.jsonKeys[i]...)
		var err error
		if buf, err = appendValue(buf, v); err != nil {
			return nil, err
		}
		n++
	}
	if len(data) > n {
		var extra []string
		for k := range data {
			if _, ok := m.fields[k]; !ok {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		for _, k := range extra {
			if n > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, k)
			buf = append(buf, ':')
			var err error
			if buf, err = appendValue(buf, data[k]); err != nil {
				return nil, err
			}
			n++
		}
	}
	return append(buf, '}'), nil
}

func appendValue(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case string:
		return appendString(buf, x), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case bool:
		return strconv.AppendBool(buf, x), nil
	case float64:
		if !math.IsNaN(x) && !math.IsInf(x, 0) && x == math.Trunc(x) && math.Abs(x) < 1e21 {
			return strconv.AppendFloat(buf, x, 'f', -1, 64), nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(buf, b...), nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, U+2028 and U+2029
// escaped, as encoding/json does.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '"', '\\':
				buf = append(buf, '\\', b)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

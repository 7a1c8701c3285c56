package runtime

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/dmplan/dmplan/hclspec"
)

// TimeFormat is how timestamps are stored: UTC ISO-8601 with milliseconds,
// e.g. 2026-11-27T14:50:08.123Z. Strings in this form sort by time.
const TimeFormat = hclspec.TimestampLayout

// FormatTime formats t as a stored timestamp.
func FormatTime(t time.Time) string { return hclspec.FormatTimestamp(t) }

// normalize converts a Go value to the canonical form of the field type:
// string (string, text, timestamp), int64 (integer), float64 (number), bool
// (boolean), []any (array) or plain JSON values (json). nil stays nil. The
// message never holds the value.
func normalize(t hclspec.FieldType, v any) (any, string) {
	if v == nil {
		return nil, ""
	}
	switch t {
	case hclspec.String, hclspec.Text:
		var str string
		switch x := v.(type) {
		case string:
			str = x
		case []byte:
			str = string(x)
		default:
			return nil, "must be a string"
		}
		// KV holds the record as JSON, which cannot carry invalid UTF-8
		// (it would turn into U+FFFD there and stay raw in D1).
		if !utf8.ValidString(str) {
			return nil, "must be valid UTF-8 text"
		}
		return str, ""
	case hclspec.Timestamp:
		var ts time.Time
		switch x := v.(type) {
		case string:
			var err error
			if ts, err = time.Parse(time.RFC3339Nano, x); err != nil {
				return nil, "must be an RFC 3339 timestamp like 2026-11-27T14:50:08.123Z"
			}
		case time.Time:
			ts = x
		case *time.Time:
			if x == nil {
				return nil, ""
			}
			ts = *x
		default:
			return nil, "must be a timestamp (time.Time or RFC 3339 string)"
		}
		if !hclspec.TimestampInRange(ts) {
			return nil, hclspec.TimestampRangeReason
		}
		return FormatTime(ts), ""
	case hclspec.Integer:
		n, ok := toInt64(v)
		if !ok {
			return nil, "must be an integer"
		}
		if n > hclspec.MaxInteger || n < -hclspec.MaxInteger {
			return nil, "is out of range: " + hclspec.IntegerRangeReason
		}
		return n, ""
	case hclspec.Number:
		if f, ok := toFloat64(v); ok {
			return f, ""
		}
		return nil, "must be a finite number"
	case hclspec.Boolean:
		if b, ok := v.(bool); ok {
			return b, ""
		}
		return nil, "must be a boolean"
	case hclspec.Array:
		out, msg := normalizeJSON(v)
		if msg != "" {
			return nil, msg
		}
		if a, ok := out.([]any); ok {
			return a, ""
		}
		if out == nil {
			return nil, ""
		}
		return nil, "must be an array"
	case hclspec.JSON:
		return normalizeJSON(v)
	case hclspec.Blob:
		switch x := v.(type) {
		case []byte:
			return bytes.Clone(x), ""
		case string:
			// base64 text, as a KV object or JSON carries a blob
			b, err := base64.StdEncoding.DecodeString(x)
			if err != nil {
				return nil, "must be bytes ([]byte) or standard base64 text"
			}
			return b, ""
		}
		return nil, "must be bytes ([]byte) or standard base64 text"
	}
	return nil, "has an invalid type"
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint:
		return int64(x), x <= math.MaxInt64
	case uint64:
		return int64(x), x <= math.MaxInt64
	case uint32:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint8:
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && x >= -(1<<63) && x < 1<<63 {
			return int64(x), true
		}
	case float32:
		return toInt64(float64(x))
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
	}
	return 0, false
}

func toFloat64(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case json.Number:
		var err error
		if f, err = strconv.ParseFloat(string(x), 64); err != nil {
			return 0, false
		}
	default:
		n, ok := toInt64(v)
		if !ok {
			return 0, false
		}
		f = float64(n)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// normalizeJSON turns v into plain JSON values (map[string]any, []any,
// string, float64, bool, nil). Values already plain pass through without a
// round trip; json.RawMessage is parsed; anything else is encoded and
// decoded once.
func normalizeJSON(v any) (any, string) {
	if isPlainJSON(v, 0) {
		return v, ""
	}
	var raw []byte
	switch x := v.(type) {
	case json.RawMessage:
		raw = x
	default:
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Func || rv.Kind() == reflect.Chan || rv.Kind() == reflect.Complex64 || rv.Kind() == reflect.Complex128 {
			return nil, "must be JSON-encodable"
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, "must be JSON-encodable"
		}
		raw = b
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, "must be valid JSON"
	}
	return out, ""
}

func isPlainJSON(v any, depth int) bool {
	if depth > 64 {
		return false
	}
	switch x := v.(type) {
	case nil, string, bool:
		return true
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	case map[string]any:
		for _, e := range x {
			if !isPlainJSON(e, depth+1) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range x {
			if !isPlainJSON(e, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// toColumn converts a normalized value to what D1 stores: booleans as 0/1,
// json and array fields as JSON text.
func toColumn(t hclspec.FieldType, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t {
	case hclspec.Boolean:
		if b, ok := v.(bool); ok {
			if b {
				return int64(1), nil
			}
			return int64(0), nil
		}
		// A stored value kept although it is not a boolean (a Worker
		// wrote 1 in KV) binds as stored, never as a made-up 0.
	case hclspec.JSON, hclspec.Array:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return string(b), nil
	case hclspec.Timestamp:
		// D1 compares and sorts timestamps as text, so a column always
		// gets the canonical form, also of a value kept as another
		// writer wrote it in KV (2026-01-01T12:00:05+02:00 is stored as
		// 2026-01-01T10:00:05.000Z). The instant is the same.
		if s, ok := v.(string); ok && !canonicalShape(s) {
			if ts, err := time.Parse(time.RFC3339Nano, s); err == nil && hclspec.TimestampInRange(ts) {
				return FormatTime(ts), nil
			}
		}
	}
	switch v.(type) {
	case map[string]any, []any:
		// A stored value kept although its field changed type (see
		// validateUpdate) binds as its JSON text, never as a Go map.
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return string(b), nil
	case float64, int64, bool:
		if t == hclspec.String || t == hclspec.Text || t == hclspec.Timestamp {
			// The same in a TEXT column (a number a Worker wrote for a
			// string field): its JSON text, so every backend stores the
			// same text and reconcile compares like with like.
			b, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			return string(b), nil
		}
	}
	return v, nil
}

// canonicalShape reports whether s has the stored timestamp's shape
// (2026-11-27T14:50:08.123Z): then formatting it again changes nothing,
// and toColumn skips the parse every save would otherwise pay.
func canonicalShape(s string) bool {
	return len(s) == 24 && s[4] == '-' && s[10] == 'T' && s[19] == '.' && s[23] == 'Z'
}

// fromColumn converts a D1 value back to the field's canonical form.
func fromColumn(t hclspec.FieldType, v any) any {
	switch t {
	case hclspec.Boolean:
		switch x := v.(type) {
		case int64:
			return x != 0
		case float64:
			return x != 0
		}
	case hclspec.Number:
		if x, ok := v.(int64); ok {
			return float64(x)
		}
	case hclspec.Integer:
		if x, ok := v.(float64); ok && x == math.Trunc(x) {
			return int64(x)
		}
	case hclspec.Blob:
		switch x := v.(type) {
		case []byte:
			return x
		case string:
			return []byte(x) // text stored in a BLOB column
		}
		return v
	case hclspec.Timestamp:
		// A column another tool made holds SQLite's date text (from
		// CURRENT_TIMESTAMP): it reads as the canonical timestamp. Text
		// that is neither stays as stored.
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case []byte:
			s = string(x)
		default:
			return v
		}
		if canonicalShape(s) {
			return s
		}
		ts, ok := parseSQLiteTime(s)
		if !ok {
			var err error
			ts, err = time.Parse(time.RFC3339Nano, s)
			ok = err == nil
		}
		if ok && hclspec.TimestampInRange(ts) {
			return FormatTime(ts)
		}
		return s
	case hclspec.JSON, hclspec.Array:
		var s []byte
		switch x := v.(type) {
		case string:
			s = []byte(x)
		case []byte:
			s = x
		default:
			return v
		}
		var out any
		if err := json.Unmarshal(s, &out); err == nil {
			return out
		}
	}
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

// columnSize is the byte size D1 counts toward its row limit.
func columnSize(v any) int {
	switch x := v.(type) {
	case string:
		return len(x)
	case []byte:
		return len(x)
	case nil:
		return 1
	}
	return 8
}

// equalValues compares two normalized values.
func equalValues(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	}
	return reflect.DeepEqual(a, b)
}

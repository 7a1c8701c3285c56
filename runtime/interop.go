package runtime

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dmplan/dmplan/hclspec"
)

// This file holds what lets other writers (a Worker following the README's
// "Workers writing the same data") share the stores with the runtime: the
// projection of a stored object accepts what the runtime itself reads and
// keeps, and D1 values compare by what they mean, not by their spelling.

// sameColumn reports whether two D1 values of column i hold the same
// value: both are read back as the field's type first (booleans 1/0,
// json and array text parsed, integral numbers), and timestamps compare
// as instants to the millisecond, the precision the runtime stores
// (2026-01-01T10:00:05Z, 2026-01-01T12:00:05+02:00 and
// 2026-01-01T10:00:05.000Z are the same).
func (m *model) sameColumn(i int, a, b any) bool {
	t := m.cols[i].Type
	x, y := fromColumn(t, a), fromColumn(t, b)
	if equalValues(x, y) {
		return true
	}
	switch t {
	case hclspec.Timestamp:
		tx, okx := instant(x)
		ty, oky := instant(y)
		return okx && oky && tx == ty
	case hclspec.Number, hclspec.Integer:
		// SQLite's numeric affinity stores the text "5" a Worker wrote
		// for an integer field as 5.
		fx, okx := numeric(x)
		fy, oky := numeric(y)
		return okx && oky && fx == fy
	}
	return false
}

// numeric returns a number, or a string SQLite would store as one, as a
// float64.
func numeric(v any) (float64, bool) {
	if s, ok := v.(string); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return f, err == nil
	}
	return toFloat64(v)
}

// instant returns the Unix milliseconds of an RFC 3339 timestamp string.
func instant(v any) (int64, bool) {
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, false
	}
	return ts.UnixMilli(), true
}

// projectRow decodes a KV object stored under id and returns its D1 row
// (in column order), the row Save would write for it, or what keeps the
// runtime from reading or saving it as it is (never a field value): a
// value that is not a JSON object, a primary key other than its key's id,
// a value that cannot be written to its column. A value of the wrong type
// or outside its field's rule is not a problem here: Get reads it, an
// update that does not set the field keeps it (runtime.stale_value), and
// its column gets it as stored, so it projects as stored. A required
// field that is missing projects to NULL: D1 refuses such a row (NOT NULL)
// and reconcile reports that with the constraint.
func (m *model) projectRow(id string, raw []byte) ([]any, string) {
	data, err := decodeStored(m, raw, id)
	if errors.Is(err, errWrongID) {
		return nil, fmt.Sprintf("%s does not match the id %q in its key", m.pk, id)
	}
	if err != nil {
		return nil, "value is not a JSON object"
	}
	// An object written before a field with a default existed reads (and
	// projects) with the default, as SQLite's ADD COLUMN ... DEFAULT
	// filled the column.
	m.fillDefaults(data)
	// An integer beyond 2^53-1 (written before the runtime refused them,
	// or by another tool) has no D1 row that holds it: D1 over REST rounds
	// it, and the row would be stale again after every fix. A person sets
	// the field.
	for _, f := range m.cols {
		if f.Type != hclspec.Integer {
			continue
		}
		if n, ok := toInt64(data[f.Name]); ok && (n > hclspec.MaxInteger || n < -hclspec.MaxInteger) {
			return nil, f.Name + " is out of range: " + hclspec.IntegerRangeReason
		}
	}
	row := make([]any, len(m.cols))
	if err := m.rowArgs(data, row); err != nil {
		return nil, err.Error()
	}
	return row, ""
}

// errWrongID: a stored object whose primary key field names another id
// than its KV key (a copy under the wrong key, say).
var errWrongID = errors.New("the object's primary key does not match the id in its key")

// decodeStored decodes the KV object stored under id: what Get, a
// hydrated query and reconcile accept. The object must be a JSON object
// whose primary key, when present, is id; it gets id as its primary key.
func decodeStored(m *model, raw []byte, id string) (map[string]any, error) {
	data, err := decodeObject(m, raw)
	if err != nil {
		return nil, err
	}
	if v, ok := data[m.pk]; ok && v != nil {
		if sv := idText(v); sv != id {
			return nil, fmt.Errorf("decode kv object: %w", errWrongID)
		}
	}
	data[m.pk] = m.typedID(id)
	return data, nil
}

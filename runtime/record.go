package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
)

// Record is one record of a model: new until saved, or loaded from KV.
// It is not safe for concurrent use.
type Record struct {
	h    *Handle
	m    *model
	err  error          // deferred from New (unknown model)
	data map[string]any // current values
	orig map[string]any // stored values; nil while new
	// shared: data and orig are the same map (nothing Set since the
	// record was stored); Set copies first.
	shared bool
	// genID is the id a failed create generated, or the chosen id of a
	// create whose D1 step failed after its KV write (a partial write):
	// saving again reuses it without the taken-id check, so a retry
	// repairs a partial write.
	genID string
}

// stored records that data is what the stores now hold.
func (r *Record) stored(data map[string]any) {
	r.data, r.orig, r.shared = data, data, true
}

// own gives the record its own data map before a change.
func (r *Record) own() {
	if r.shared {
		r.data = maps.Clone(r.data)
		r.shared = false
	}
	if r.data == nil {
		r.data = map[string]any{}
	}
}

// New returns an empty record of the model. An unknown model name is
// reported by Save, Load and the other methods that return errors.
func (h *Handle) New(model string) *Record {
	m, err := h.ds.model(model)
	return &Record{h: h, m: m, err: err, data: map[string]any{}}
}

// Model returns the model name.
func (r *Record) Model() string {
	if r.m == nil {
		return ""
	}
	return r.m.name
}

// ID returns the primary key ("" for a new record without one): the text
// key, the decimal of an integer key, or the parts of a composite key
// joined by "/" (see Key).
func (r *Record) ID() string {
	if r.m == nil {
		return ""
	}
	return r.m.idOf(r.data)
}

// Set sets one field. Values are checked by Save: strings for string, text
// and timestamp (time.Time too), Go integers for integer, numbers for
// number, bool for boolean, slices for array, anything JSON-encodable for
// json. created_at, updated_at, deleted_at and _auth are managed by the
// runtime: a new record's values for them are replaced, and an update that
// changes created_at, deleted_at or _auth is refused (CodeReadOnly).
func (r *Record) Set(field string, value any) {
	r.own()
	r.data[field] = value
}

// SetAll sets every field of values.
func (r *Record) SetAll(values map[string]any) {
	r.own()
	for k, v := range values {
		r.data[k] = v
	}
}

// Get returns a field's value, or nil.
func (r *Record) Get(field string) any { return r.data[field] }

// Data returns a copy of the record's fields.
func (r *Record) Data() map[string]any { return maps.Clone(r.data) }

// MarshalJSON encodes the record's fields as a JSON object.
func (r *Record) MarshalJSON() ([]byte, error) { return json.Marshal(r.data) }

// IsNew reports whether the record has not been saved or loaded.
func (r *Record) IsNew() bool { return r.orig == nil }

// IsDeleted reports whether the stored record is soft-deleted.
func (r *Record) IsDeleted() bool { return r.orig != nil && r.orig["deleted_at"] != nil }

// Changes returns the fields whose values differ from the stored record,
// with their new values (every set field for a new record). Values are
// compared after Save normalizes them, so before Save an equal value of
// another Go type (int vs int64) counts as a change.
func (r *Record) Changes() map[string]any {
	if r.orig == nil {
		return maps.Clone(r.data)
	}
	if r.shared {
		return map[string]any{}
	}
	return diff(r.orig, r.data)
}

func diff(old, cur map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range cur {
		if ov, ok := old[k]; !ok || !equalValues(ov, v) {
			if ok || v != nil {
				out[k] = v
			}
		}
	}
	for k := range old {
		if _, ok := cur[k]; !ok && old[k] != nil {
			out[k] = nil
		}
	}
	return out
}

// Save creates the record (when new) or writes its changes: validation,
// before hooks, KV put, D1 upsert, after hooks. An update without changes
// writes nothing.
func (r *Record) Save(ctx context.Context) error {
	if err := r.check(); err != nil {
		return err
	}
	if r.orig == nil {
		return r.h.create(ctx, r)
	}
	return r.h.updateAs(ctx, r, plainUpdate, r.data)
}

// Load replaces the record with the stored record id. A missing, deleted
// or other user's record is ErrNotFound.
func (r *Record) Load(ctx context.Context, id string) error {
	if err := r.check(); err != nil {
		return err
	}
	return r.h.load(ctx, r, id, false, "get")
}

// Delete soft-deletes the record (sets deleted_at in KV and D1), or removes
// it from both stores when the model has soft_delete = false.
func (r *Record) Delete(ctx context.Context) error {
	if err := r.check(); err != nil {
		return err
	}
	return r.h.remove(ctx, r)
}

// Restore clears deleted_at of a soft-deleted record; restoring a record
// that is not deleted does nothing.
func (r *Record) Restore(ctx context.Context) error {
	if err := r.check(); err != nil {
		return err
	}
	return r.h.restore(ctx, r)
}

// errNoHandle is returned by a Record not made by a Handle.
var errNoHandle = fmt.Errorf("%w: record not made by Handle.New", ErrInvalid)

func (r *Record) check() error {
	if r.err != nil {
		return r.err
	}
	if r.h == nil || r.m == nil {
		return errNoHandle
	}
	if r.data == nil {
		r.data = map[string]any{}
	}
	return nil
}

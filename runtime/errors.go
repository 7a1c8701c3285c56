package runtime

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dmplan/dmplan/backend"
)

// Sentinel errors; every error the package returns wraps one of them, so
// callers branch with errors.Is.
var (
	// ErrNotFound: the record does not exist, is deleted, or belongs to
	// another user (the three are indistinguishable on purpose).
	ErrNotFound = errors.New("runtime: not found")
	// ErrInvalid: a record failed validation (see ValidationError) or a
	// query or call argument is invalid.
	ErrInvalid = errors.New("runtime: invalid")
	// ErrUnknownModel: the Spec has no model with the name.
	ErrUnknownModel = errors.New("runtime: unknown model")
	// ErrUnknownField: the model has no such field, or a query names a
	// field that is not a D1 column.
	ErrUnknownField = errors.New("runtime: unknown field")
	// ErrRejected: a before hook rejected the write; nothing was written.
	ErrRejected = errors.New("runtime: rejected by hook")
	// ErrForbidden: a scoped handle tried to write a record owned by
	// another user, or the handle has no user.
	ErrForbidden = errors.New("runtime: forbidden")
	// ErrConflict: a new record's id is already taken, or D1 refused the
	// record's row for a constraint of its table (a *ConstraintError: KV
	// was put back, nothing was written).
	ErrConflict = errors.New("runtime: record exists")
	// ErrPartialWrite: KV was written but D1 was not; the error names the
	// model and ids; `dmplan reconcile` rebuilds the D1 rows from KV.
	ErrPartialWrite = errors.New("runtime: partial write (KV written, D1 not); run `dmplan reconcile`")
	// ErrNotMigrated: a table, column or KV namespace the Spec needs does
	// not exist; run `dmplan apply`.
	ErrNotMigrated = errors.New("runtime: schema not migrated; run `dmplan apply`")
	// ErrTooLarge: a key, value, row or statement is over a platform
	// limit; it is refused before anything is written. It is
	// backend.ErrTooLarge, so either name matches.
	ErrTooLarge = backend.ErrTooLarge
)

// FieldError is one field's validation failure. Message never holds the
// value, so errors are safe to log.
type FieldError struct {
	Index   int    `json:"index,omitempty"` // record index in a bulk call
	Field   string `json:"field"`
	Code    string `json:"code"` // unknown, required, type, format, enum, immutable, read_only
	Message string `json:"message"`
}

// FieldError codes.
const (
	CodeUnknown   = "unknown"   // not a field of the model
	CodeRequired  = "required"  // missing or empty
	CodeType      = "type"      // wrong Go type or unparsable value
	CodeFormat    = "format"    // failed a named validator (url, email, ...)
	CodeEnum      = "enum"      // not one of the allowed values
	CodeImmutable = "immutable" // the primary key changed
	CodeReadOnly  = "read_only" // an update changed a field the runtime manages (created_at, deleted_at, _auth)
)

// ValidationError lists every failing field of a record (or of every
// record of a bulk call). errors.Is(err, ErrInvalid) is true.
type ValidationError struct {
	Model  string       `json:"model"`
	Bulk   bool         `json:"bulk,omitempty"` // Index is meaningful
	Fields []FieldError `json:"fields"`
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("runtime: invalid ")
	b.WriteString(e.Model)
	b.WriteString(": ")
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		if e.Bulk {
			b.WriteString("record ")
			b.WriteString(strconv.Itoa(f.Index))
			b.WriteString(" ")
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true, and errors.Is(err,
// ErrUnknownField) true when a field is unknown.
func (e *ValidationError) Is(target error) bool {
	if target == ErrInvalid {
		return true
	}
	if target == ErrUnknownField {
		for _, f := range e.Fields {
			if f.Code == CodeUnknown {
				return true
			}
		}
	}
	return false
}

func (e *ValidationError) add(index int, field, code, msg string) {
	e.Fields = append(e.Fields, FieldError{Index: index, Field: field, Code: code, Message: msg})
}

// has reports whether the record at index already has an error of code
// for field (a missing key part is reported once, with its reason). A
// record's errors are added together, last, so only they are looked at.
func (e *ValidationError) has(index int, field, code string) bool {
	for i := len(e.Fields) - 1; i >= 0 && e.Fields[i].Index == index; i-- {
		if fe := e.Fields[i]; fe.Field == field && fe.Code == code {
			return true
		}
	}
	return false
}

// PartialWriteError reports records whose KV objects were written but whose
// D1 rows were not. errors.Is(err, ErrPartialWrite) is true, and Unwrap
// also yields the D1 error.
type PartialWriteError struct {
	Model string
	IDs   []string
	Err   error // the D1 error
	// written: KV holds this call's own objects for the ids (the D1 step
	// failed with an unknown outcome), so saving the records again
	// repairs them (see Record.genID).
	written bool
}

func (e *PartialWriteError) Error() string {
	ids := e.IDs
	more := ""
	if len(ids) > 5 {
		more = fmt.Sprintf(" and %d more", len(ids)-5)
		ids = ids[:5]
	}
	return fmt.Sprintf("runtime: write %s %s: KV updated but D1 failed: %v; run `dmplan reconcile` to rebuild the D1 rows from KV",
		e.Model, strings.Join(ids, ", ")+more, e.Err)
}

// Unwrap returns ErrPartialWrite and the D1 error.
func (e *PartialWriteError) Unwrap() []error { return []error{ErrPartialWrite, e.Err} }

// ConstraintError reports records whose D1 rows broke a constraint of the
// table (a UNIQUE index, NOT NULL, CHECK). D1 wrote nothing, and the
// runtime put their KV objects back as they were (removed the new ones),
// so nothing was written. errors.Is(err, ErrConflict) and errors.Is(err,
// backend.ErrConstraint) are true. It never holds a field value.
type ConstraintError struct {
	Op    string // save, delete, restore
	Model string
	// IDs are the records' ids; "" for a new record whose key D1 would
	// have assigned (an INTEGER PRIMARY KEY of a D1-only model).
	IDs        []string
	Constraint string // "UNIQUE constraint failed: projects.slug"
	// Fields are the model's fields the refused constraint covers, when
	// it names them or names one of the model's indexes: the fields whose
	// values another record already holds for a unique index (among the
	// records not soft-deleted, for unique = "live").
	Fields []string
	Err    error // the D1 error
	d1only bool  // a D1-only model: there was no KV write to put back
}

func (e *ConstraintError) Error() string {
	var ids []string
	fresh := 0
	for _, id := range e.IDs {
		if id == "" {
			fresh++
			continue
		}
		ids = append(ids, id)
	}
	more := ""
	if len(ids) > 5 {
		more = fmt.Sprintf(" and %d more", len(ids)-5)
		ids = ids[:5]
	}
	switch {
	case fresh == 1:
		more += " (new record)"
	case fresh > 1:
		more += fmt.Sprintf(" (%d new records)", fresh)
	}
	taken := ""
	if len(e.Fields) > 0 && strings.HasPrefix(e.Constraint, "UNIQUE") {
		taken = "; another record holds the same " + strings.Join(e.Fields, ", ")
	}
	if e.d1only {
		return fmt.Sprintf("%s %s %s: runtime: conflict: D1 refused the write (%s)%s; nothing was written",
			e.Op, e.Model, strings.TrimSpace(strings.Join(ids, ", ")+more), e.Constraint, taken)
	}
	return fmt.Sprintf("%s %s %s: runtime: conflict: D1 refused the write (%s)%s; KV was put back, nothing was written",
		e.Op, e.Model, strings.Join(ids, ", ")+more, e.Constraint, taken)
}

// Unwrap returns ErrConflict and the D1 error.
func (e *ConstraintError) Unwrap() []error { return []error{ErrConflict, e.Err} }

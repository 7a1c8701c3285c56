package hclspec

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Names of the built-in fields the options add.
const (
	FieldUserID    = "user_id"
	FieldCreatedAt = "created_at"
	FieldUpdatedAt = "updated_at"
	FieldDeletedAt = "deleted_at"
	FieldAuth      = "_auth"
)

// builtinFields returns the built-in fields the options enable, in storage
// order, declared at rng (the options block, or the model).
func builtinFields(o Options, rng hcl.Range) []*Field {
	var out []*Field
	if o.UserTracking {
		out = append(out, &Field{Name: FieldUserID, Type: String, Required: true, BuiltIn: true, Synced: true, DeclRange: rng})
	}
	if o.Timestamps {
		out = append(out,
			&Field{Name: FieldCreatedAt, Type: Timestamp, BuiltIn: true, Auto: true, Synced: true, DeclRange: rng},
			&Field{Name: FieldUpdatedAt, Type: Timestamp, BuiltIn: true, Auto: true, Synced: true, DeclRange: rng})
	}
	if o.SoftDelete {
		out = append(out, &Field{Name: FieldDeletedAt, Type: Timestamp, BuiltIn: true, Synced: true, DeclRange: rng})
	}
	if o.Auth {
		out = append(out, &Field{Name: FieldAuth, Type: Array, BuiltIn: true, KVOnly: true, DeclRange: rng})
	}
	return out
}

// builtinOption names the option that adds the built-in field.
func builtinOption(name string) string {
	switch name {
	case FieldUserID:
		return "user_tracking = true"
	case FieldCreatedAt, FieldUpdatedAt:
		return "timestamps = true"
	case FieldDeletedAt:
		return "soft_delete = true"
	case FieldAuth:
		return "auth = true"
	}
	return "no option"
}

// findField returns the field whose name equals name ignoring case, as
// SQLite compares column names.
func findField(fields []*Field, name string) *Field {
	for _, f := range fields {
		if strings.EqualFold(f.Name, name) {
			return f
		}
	}
	return nil
}

func removeField(fields []*Field, name string) []*Field {
	out := fields[:0:0]
	for _, f := range fields {
		if f.Name != name {
			out = append(out, f)
		}
	}
	return out
}

package runtime

import (
	"strings"

	"github.com/dmplan/dmplan/hclspec"
)

// validate normalizes every value of data in place to its field's
// canonical form and appends one FieldError per failing field to ve:
// unknown fields, type mismatches, missing required fields, named
// validators and enum lists. Messages never contain values.
//
// A key that is not a field is accepted only when orig (the stored record)
// holds it unchanged: objects written before a field left the Spec stay
// saveable.
func validate(m *model, data, orig map[string]any, index int, ve *ValidationError) {
	checkFields(m, data, orig, index, ve, false)
}

// validateUpdate is validate for an update of the stored record orig: a
// value the caller left untouched (equal to the stored one) is not checked
// against its field's type or rule again, so a record written before a
// KV-only field changed type stays updatable. Required-ness is checked for
// every field. It returns the names of the untouched values kept although
// they no longer match their field.
func validateUpdate(m *model, data, orig map[string]any, ve *ValidationError) []string {
	return checkFields(m, data, orig, -1, ve, true)
}

func checkFields(m *model, data, orig map[string]any, index int, ve *ValidationError, keepStale bool) (stale []string) {
	for name, v := range data {
		if _, ok := m.fields[name]; !ok {
			if ov, kept := orig[name]; kept && equalValues(ov, v) {
				continue
			}
			ve.add(index, name, CodeUnknown, "is not a field of "+m.name)
		}
	}
	for _, f := range m.spec.Fields {
		v, present := data[f.Name]
		if v == nil {
			// On a create (no orig) D1 fills a column with an SQL
			// default and the rowid key.
			if f.Required && (orig != nil || !m.dbFills(f)) && !ve.has(index, f.Name, CodeRequired) {
				ve.add(index, f.Name, CodeRequired, "is required")
			}
			continue
		}
		untouched := false
		if keepStale && present {
			ov, had := orig[f.Name]
			untouched = had && equalValues(ov, v)
		}
		nv, msg := normalize(f.Type, v)
		if msg != "" {
			if untouched {
				stale = append(stale, f.Name)
				continue
			}
			ve.add(index, f.Name, CodeType, msg)
			continue
		}
		if present && !untouched {
			// A value the update did not touch stays as stored (a
			// timestamp another writer wrote as 2026-01-01T10:00:05Z
			// keeps that form in KV; D1 gets the canonical form, see
			// toColumn).
			data[f.Name] = nv
		}
		// On a D1-only model (a table another tool made) required is NOT
		// NULL: an empty string is a value, as SQL has it. Elsewhere an
		// empty string a record already holds (a row copied into KV from
		// such a table) is kept like any untouched stored value.
		if f.Required && f.Type <= hclspec.Text && nv == "" && !m.d1only && !untouched {
			ve.add(index, f.Name, CodeRequired, "is required")
			continue
		}
		if code, msg := checkRule(f, nv); msg != "" {
			if untouched {
				stale = append(stale, f.Name)
				continue
			}
			ve.add(index, f.Name, code, msg)
		}
	}
	return stale
}

// checkRule applies the field's named validator or enum list.
func checkRule(f *hclspec.Field, v any) (string, string) {
	if f.Validation.Named != "" {
		s, ok := v.(string)
		if ok && !hclspec.ValidateNamed(f.Validation.Named, s) {
			return CodeFormat, "must be a valid " + f.Validation.Named
		}
		return "", ""
	}
	if len(f.Validation.Enum) == 0 {
		return "", ""
	}
	switch v.(type) {
	case string, int64, float64, bool:
	default:
		return CodeEnum, "must be one of " + strings.Join(f.Validation.Enum, ", ")
	}
	s := hclspec.EnumString(v)
	for _, e := range f.Validation.Enum {
		if e == s {
			return "", ""
		}
	}
	return CodeEnum, "must be one of " + strings.Join(f.Validation.Enum, ", ")
}

package hclspec

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

var fieldSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type", Required: true},
		{Name: "required"},
		{Name: "default"},
		{Name: "validation"},
		{Name: "sql_type"},
		{Name: "sql_default"},
		{Name: "check"},
		{Name: "collate"},
		{Name: "autoincrement"},
		{Name: "unique"},
		{Name: "references"},
		{Name: "on_delete"},
		{Name: "on_update"},
	},
}

func typeNames() string {
	names := make([]string, 0, len(fieldTypeNames))
	for t := String; t <= Blob; t++ {
		names = append(names, t.String())
	}
	return strings.Join(names, ", ")
}

// decodeField decodes one declared field block. It returns the block's
// attributes too, for the checks of the model (column attributes need the
// model's storage and key).
func decodeField(blk *hcl.Block) (*Field, hcl.Attributes, hcl.Diagnostics) {
	f := &Field{Name: blk.Labels[0], DeclRange: blk.DefRange}
	var diags hcl.Diagnostics
	if why := checkSQLName(f.Name); why != "" {
		diags = append(diags, errorf(labelRange(blk, 0), "Invalid field name",
			"The field name %q cannot be used as a column name: %s.", f.Name, why))
	}
	content, cd := blk.Body.Content(fieldSchema)
	diags = append(diags, cd...)
	if content == nil {
		return f, nil, diags
	}
	if a, ok := content.Attributes["type"]; ok {
		k, _ := keyword(a.Expr)
		t, ok := ParseFieldType(k)
		if !ok && !hasSyntaxError(a.Expr) {
			diags = append(diags, errorf(a.Expr.Range(), "Invalid field type",
				"The type must be one of %s, written as a bare word: type = string.", typeNames()))
		}
		f.Type = t
	}
	if a, ok := content.Attributes["required"]; ok {
		v, d := staticBool(a)
		diags = append(diags, d...)
		f.Required = v
	}
	validOK := true
	if a, ok := content.Attributes["validation"]; ok {
		var d hcl.Diagnostics
		f.Validation, d = decodeValidation(a, f.Type)
		diags = append(diags, d...)
		validOK = !d.HasErrors()
	}
	if a, ok := content.Attributes["default"]; ok && f.Type != 0 {
		f.DefaultRange = a.Expr.Range()
		if f.Type == Blob {
			diags = append(diags, errorf(a.Expr.Range(), "Default on a blob field",
				"A blob field takes no default value; write the SQL default instead, like sql_default = \"x'00'\"."))
		} else {
			diags = append(diags, decodeDefault(f, a, validOK)...)
		}
	}
	diags = append(diags, decodeColumnSQL(f, content.Attributes)...)
	return f, content.Attributes, diags
}

// decodeValidation reads validation = "NAME" or an enum list of allowed
// values: validation = ["a", "b"] on a string field, [1, 2, 3] on an
// integer or number field.
func decodeValidation(a *hcl.Attribute, t FieldType) (Validation, hcl.Diagnostics) {
	if exprs, ld := hcl.ExprList(a.Expr); !ld.HasErrors() {
		if t == Integer || t == Number {
			return decodeNumberEnum(a, exprs, t)
		}
		items, diags := staticStringList(a)
		if diags.HasErrors() {
			return Validation{}, diags
		}
		if t != 0 && t != String {
			return Validation{}, hcl.Diagnostics{errorf(a.Expr.Range(), "Enum on a non-string field",
				"An enum list of allowed values applies to string, integer and number fields; this field is %s.", t)}
		}
		if len(items) == 0 {
			return Validation{}, hcl.Diagnostics{errorf(a.Expr.Range(), "Empty enum",
				"List at least one allowed value.")}
		}
		seen := map[string]hcl.Range{}
		v := Validation{}
		for _, it := range items {
			if prev, ok := seen[it.Value]; ok {
				diags = append(diags, errorf(it.Range, "Duplicate enum value",
					"The value %q is already listed at %s.", it.Value, prev.String()))
				continue
			}
			seen[it.Value] = it.Range
			v.Enum = append(v.Enum, it.Value)
		}
		return v, diags
	}
	name, diags := staticString(a)
	if hasFollowUp(diags) {
		return Validation{}, diags
	}
	if diags.HasErrors() {
		return Validation{}, hcl.Diagnostics{errorf(a.Expr.Range(), "Invalid validation",
			"The validation must be a validator name such as \"email\", or a list of allowed values.")}
	}
	if _, ok := namedValidators[name]; !ok {
		return Validation{}, hcl.Diagnostics{errorf(a.Expr.Range(), "Unknown validator",
			"There is no validator named %q. The validators are: %s.", name, strings.Join(ValidatorNames(), ", "))}
	}
	if t != 0 && t != String && t != Text {
		return Validation{}, hcl.Diagnostics{errorf(a.Expr.Range(), "Validator on a non-string field",
			"The validator %q checks strings; this field is %s.", name, t)}
	}
	return Validation{Named: name}, nil
}

// decodeNumberEnum reads the enum list of an integer or number field. Each
// value must fit the field's type; Validation.Enum holds them in the form
// the runtime compares values in (EnumString).
func decodeNumberEnum(a *hcl.Attribute, exprs []hcl.Expression, t FieldType) (Validation, hcl.Diagnostics) {
	if len(exprs) == 0 {
		return Validation{}, hcl.Diagnostics{errorf(a.Expr.Range(), "Empty enum", "List at least one allowed value.")}
	}
	var diags hcl.Diagnostics
	seen := map[string]hcl.Range{}
	v := Validation{}
	for _, e := range exprs {
		val, d := staticValue(e, "Each element of %q", a.Name)
		if d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		if val.IsNull() || val.Type() != cty.Number {
			diags = append(diags, errorf(e.Range(), "Invalid value",
				"Each element of %q must be a number: the field is %s.", a.Name, t))
			continue
		}
		g, why := convertValue(t, val)
		if why != "" {
			diags = append(diags, errorf(e.Range(), "Invalid value", "An allowed value does not fit the field: %s.", why))
			continue
		}
		key := enumKey(t, g)
		if prev, ok := seen[key]; ok {
			diags = append(diags, errorf(e.Range(), "Duplicate enum value",
				"The value %s is already listed at %s.", key, prev.String()))
			continue
		}
		seen[key] = e.Range()
		v.Enum = append(v.Enum, key)
	}
	return v, diags
}

// EnumString is the form in which a value is compared with an enum list
// (Validation.Enum): strings as they are, whole numbers in decimal, other
// numbers in their shortest form, booleans as true or false.
func EnumString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e21 {
			return strconv.FormatFloat(x, 'f', -1, 64) // 1e16 as 10000000000000000
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// enumKey is EnumString of a value decoded from the configuration as the
// runtime will hold it: a number field holds float64, so a whole number
// written there compares in its float64 form.
func enumKey(t FieldType, g any) string {
	if n, ok := g.(int64); ok && t == Number {
		return EnumString(float64(n))
	}
	return EnumString(g)
}

// decodeDefault reads the default, checks it against the type and, when
// the validation is valid, against the validation.
func decodeDefault(f *Field, a *hcl.Attribute, checkValidation bool) hcl.Diagnostics {
	v, diags := staticValue(a.Expr, "A default")
	if diags.HasErrors() {
		return diags
	}
	g, why := convertValue(f.Type, v)
	if why != "" {
		return hcl.Diagnostics{errorf(a.Expr.Range(), "Invalid default value",
			"The default of field %q does not fit its type: %s.", f.Name, why)}
	}
	f.Default = g
	if checkValidation && (f.Type == Integer || f.Type == Number) && len(f.Validation.Enum) > 0 && g != nil &&
		!contains(f.Validation.Enum, enumKey(f.Type, g)) {
		return hcl.Diagnostics{errorf(a.Expr.Range(), "Default not in enum",
			"The default of field %q must be one of the allowed values: %s.", f.Name, strings.Join(f.Validation.Enum, ", "))}
	}
	s, isString := g.(string)
	if !checkValidation || !isString || v.Type() != cty.String {
		return nil
	}
	switch {
	case f.Validation.Named != "" && !ValidateNamed(f.Validation.Named, s):
		return hcl.Diagnostics{errorf(a.Expr.Range(), "Default fails validation",
			"The default of field %q does not pass its own %q validation.", f.Name, f.Validation.Named)}
	case len(f.Validation.Enum) > 0 && !contains(f.Validation.Enum, s):
		return hcl.Diagnostics{errorf(a.Expr.Range(), "Default not in enum",
			"The default of field %q must be one of the allowed values: %s.", f.Name, strings.Join(f.Validation.Enum, ", "))}
	}
	return nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

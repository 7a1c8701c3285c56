package hclspec

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Column affinities (SQLite's "Determination Of Column Affinity").
const (
	AffinityText    = "TEXT"
	AffinityNumeric = "NUMERIC"
	AffinityInteger = "INTEGER"
	AffinityReal    = "REAL"
	AffinityBlob    = "BLOB"
)

// Affinity returns the affinity SQLite gives a column of the declared
// type, by its rules in order: INT → INTEGER; CHAR, CLOB or TEXT → TEXT;
// BLOB or no type → BLOB; REAL, FLOA or DOUB → REAL; anything else
// (DATETIME, BOOLEAN, DECIMAL, NUMERIC, JSON) → NUMERIC.
func Affinity(declared string) string {
	t := strings.ToUpper(declared)
	switch {
	case strings.Contains(t, "INT"):
		return AffinityInteger
	case strings.Contains(t, "CHAR"), strings.Contains(t, "CLOB"), strings.Contains(t, "TEXT"):
		return AffinityText
	case strings.Contains(t, "BLOB"), strings.TrimSpace(t) == "":
		return AffinityBlob
	case strings.Contains(t, "REAL"), strings.Contains(t, "FLOA"), strings.Contains(t, "DOUB"):
		return AffinityReal
	}
	return AffinityNumeric
}

// AffinityAllows reports whether a field of type t can live in a column of
// the affinity without SQLite changing its values: TEXT holds the text
// types (string, text, json, array, timestamp); NUMERIC keeps text that is
// not a number as text and numbers as numbers, so it holds every type but
// blob; INTEGER holds integer and boolean; REAL holds number; BLOB (and
// ANY) converts nothing, so it holds every type.
func AffinityAllows(affinity string, t FieldType) bool {
	switch affinity {
	case AffinityText:
		return t == String || t == Text || t == JSON || t == Array || t == Timestamp
	case AffinityNumeric:
		return t != Blob
	case AffinityInteger:
		return t == Integer || t == Boolean
	case AffinityReal:
		return t == Number
	}
	return true
}

// strictTypes are the only column types a STRICT table accepts.
var strictTypes = map[string]bool{"INT": true, "INTEGER": true, "REAL": true, "TEXT": true, "BLOB": true, "ANY": true}

// DeclaredType is the column type a field is declared with in CREATE TABLE:
// SQL.Type when set, else the type its field type implies.
func (f *Field) DeclaredType() string {
	if f.SQL.Type != "" {
		return f.SQL.Type
	}
	return f.Type.ColumnType()
}

// decodeColumnSQL reads the column attributes of a field block (sql_type,
// sql_default, check, collate, autoincrement, unique, references,
// on_delete, on_update) into f.SQL. What depends on the model (the key,
// the storage, whether the field is a column) is checked by
// checkColumnSQL.
func decodeColumnSQL(f *Field, attrs hcl.Attributes) hcl.Diagnostics {
	var diags hcl.Diagnostics
	str := func(name string) (string, *hcl.Attribute, bool) {
		a, ok := attrs[name]
		if !ok {
			return "", nil, false
		}
		v, d := staticString(a)
		diags = append(diags, d...)
		if d.HasErrors() {
			return "", a, false
		}
		v = strings.TrimSpace(v)
		if v == "" {
			diags = append(diags, errorf(a.Expr.Range(), "Empty "+name,
				"The argument %q must not be empty; remove it instead.", name))
			return "", a, false
		}
		return v, a, true
	}
	if v, a, ok := str("sql_type"); ok {
		if why := checkSQLType(v); why != "" {
			diags = append(diags, errorf(a.Expr.Range(), "Invalid sql_type",
				"The SQL type %q cannot be used: %s. Write a type name with an optional size, like \"VARCHAR(255)\" or \"DECIMAL(10, 2)\".", v, why))
		} else {
			f.SQL.Type = v
			if aff := Affinity(v); f.Type != 0 && !AffinityAllows(aff, f.Type) {
				diags = append(diags, errorf(a.Expr.Range(), "SQL type does not fit the field type",
					"A column declared %s has %s affinity in SQLite, which %s a %s field's values. %s",
					v, aff, affinityVerb(aff), f.Type, affinityHint(aff)))
			}
		}
	}
	if v, a, ok := str("sql_default"); ok {
		if _, has := attrs["default"]; has {
			diags = append(diags, errorf(a.Expr.Range(), "Both default and sql_default",
				"Field %q has a default value and an SQL default; keep one. default is a value the runtime writes; sql_default is an SQL expression D1 evaluates.", f.Name))
		} else if why := checkSQLDefault(v); why != "" {
			diags = append(diags, errorf(a.Expr.Range(), "Invalid sql_default",
				"The SQL default cannot be used: %s. Write a literal (0, 'draft', NULL, CURRENT_TIMESTAMP, x'00') or an expression in parentheses, like \"(strftime('%%s', 'now'))\".", why))
		} else {
			f.SQL.Default = v
		}
	}
	if v, a, ok := str("check"); ok {
		if why := checkCheckExpr(v); why != "" {
			diags = append(diags, errorf(a.Expr.Range(), "Invalid check",
				"The CHECK expression cannot be used: %s.", why))
		} else {
			f.SQL.Check = v
		}
	}
	if a, ok := attrs["collate"]; ok {
		k, _ := keyword(a.Expr)
		c, valid := parseCollation(k)
		if !valid && !hasSyntaxError(a.Expr) {
			diags = append(diags, errorf(a.Expr.Range(), "Invalid collation",
				"The collation must be BINARY, NOCASE or RTRIM (the ones D1 has), like collate = \"NOCASE\"."))
		}
		f.SQL.Collate = c
	}
	if a, ok := attrs["autoincrement"]; ok {
		v, d := staticBool(a)
		diags = append(diags, d...)
		f.SQL.Autoincrement = v
	}
	if a, ok := attrs["unique"]; ok {
		v, d := staticBool(a)
		diags = append(diags, d...)
		f.SQL.Unique = v
	}
	if v, a, ok := str("references"); ok {
		ref, why := parseReference(v)
		if why != "" {
			diags = append(diags, errorf(a.Expr.Range(), "Invalid references",
				"The reference %q cannot be used: %s. Write \"table\" (its primary key) or \"table.column\".", v, why))
		} else {
			f.SQL.References = &ref
		}
	}
	for _, name := range []string{"on_delete", "on_update"} {
		v, a, ok := str(name)
		if !ok {
			continue
		}
		act, valid := parseAction(v)
		switch {
		case !valid:
			diags = append(diags, errorf(a.Expr.Range(), "Invalid "+name,
				"The action must be one of %s.", actionNames))
		case attrs["references"] == nil:
			diags = append(diags, errorf(a.Expr.Range(), name+" without references",
				"The argument %q applies to a foreign key; set references too.", name))
		case f.SQL.References != nil && name == "on_delete":
			f.SQL.References.OnDelete = act
		case f.SQL.References != nil:
			f.SQL.References.OnUpdate = act
		}
	}
	return diags
}

func affinityVerb(aff string) string {
	if aff == AffinityBlob {
		return "keeps"
	}
	return "would change"
}

func affinityHint(aff string) string {
	switch aff {
	case AffinityText:
		return "A TEXT column (CHAR, CLOB, TEXT in the name) holds string, text, json, array and timestamp fields."
	case AffinityInteger:
		return "An INTEGER column (INT in the name) holds integer and boolean fields."
	case AffinityReal:
		return "A REAL column (REAL, FLOA, DOUB in the name) holds number fields."
	case AffinityNumeric:
		return "A NUMERIC column (DATETIME, BOOLEAN, DECIMAL, JSON, ...) holds every type but blob."
	}
	return ""
}

// checkSQLType reports why a declared type is not a type name with an
// optional size, or "".
func checkSQLType(s string) string {
	// A word that starts a column constraint ends the type in SQLite's
	// grammar: "TEXT COLLATE NOCASE" is the type TEXT and a collation,
	// which the model would then never match.
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '(' || r == ')' || r == ',' }) {
		if attr, ok := constraintWords[strings.ToUpper(w)]; ok {
			return fmt.Sprintf("%s starts a column constraint, not part of a type (%s)", strings.ToUpper(w), attr)
		}
	}
	i := strings.IndexByte(s, '(')
	name, size := s, ""
	if i >= 0 {
		name, size = s[:i], s[i:]
	}
	words := strings.Fields(name)
	if len(words) == 0 {
		return "it has no type name"
	}
	for _, w := range words {
		if !isIdent(w) {
			return fmt.Sprintf("%q is not a word of letters, digits and underscores", w)
		}
	}
	if size == "" {
		return ""
	}
	if !strings.HasSuffix(size, ")") {
		return "its size does not end with \")\""
	}
	parts := strings.Split(size[1:len(size)-1], ",")
	if len(parts) > 2 {
		return "its size has more than two numbers"
	}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		p = strings.TrimLeft(p, "+-")
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return "its size is not one or two whole numbers"
		}
	}
	return ""
}

// constraintWords start a column constraint in SQLite's grammar, so they
// end a declared type; each says which attribute declares it.
var constraintWords = map[string]string{
	"CONSTRAINT": "constraint names are not kept",
	"PRIMARY":    "use primary_key",
	"NOT":        "use required = true for NOT NULL",
	"NULL":       "a column without required allows NULL",
	"UNIQUE":     "use unique = true",
	"CHECK":      "use check",
	"DEFAULT":    "use default or sql_default",
	"COLLATE":    "use collate",
	"REFERENCES": "use references",
	"GENERATED":  "generated columns cannot be declared",
	"AS":         "generated columns cannot be declared",
}

// defaultKeywords are the bare words a DEFAULT clause may hold.
var defaultKeywords = map[string]bool{
	"NULL": true, "TRUE": true, "FALSE": true,
	"CURRENT_TIMESTAMP": true, "CURRENT_DATE": true, "CURRENT_TIME": true,
}

// checkSQLDefault reports why s cannot follow DEFAULT in a column
// definition, or "". SQLite allows a literal, a signed number or an
// expression in parentheses there.
func checkSQLDefault(s string) string {
	if why := checkSQLExpr(s); why != "" {
		return why
	}
	switch {
	case defaultKeywords[strings.ToUpper(s)]:
		return ""
	case s[0] == '(':
		if closing := matchParen(s, 0); closing != len(s)-1 {
			return "an expression must be wholly in parentheses"
		}
		return checkDefaultExpr(s)
	case s[0] == '\'':
		if end := skipQuoted(s, 0); end != len(s) {
			return "text after the closing quote of the string"
		}
		return ""
	case (s[0] == 'x' || s[0] == 'X') && len(s) > 1 && s[1] == '\'':
		if end := skipQuoted(s, 1); end != len(s) || strings.Trim(s[2:len(s)-1], "0123456789abcdefABCDEF") != "" || (len(s)-3)%2 != 0 {
			return "a blob literal is x'...' with an even number of hex digits"
		}
		return ""
	}
	n := strings.TrimLeft(s, "+-")
	if n != "" && isNumber(n) {
		return ""
	}
	return "it is not a literal; put an expression in parentheses"
}

// isNumber reports whether s is an unsigned SQL numeric literal.
func isNumber(s string) bool {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return len(s) > 2 && strings.Trim(s[2:], "0123456789abcdefABCDEF") == ""
	}
	digits, dot, exp := 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot && !exp:
			dot = true
		case (c == 'e' || c == 'E') && !exp && digits > 0:
			exp = true
			if i+1 < len(s) && (s[i+1] == '+' || s[i+1] == '-') {
				i++
			}
			if i+1 >= len(s) {
				return false
			}
		default:
			return false
		}
	}
	return digits > 0
}

// checkSQLExpr reports why s cannot be an SQL expression dmplan writes
// into a statement as it is, or "": quotes and parentheses must balance,
// and it must not end the statement (a ";" or a comment outside quotes).
func checkSQLExpr(s string) string {
	depth := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '\'', '"', '`':
			end := skipQuoted(s, i)
			if end < 0 {
				return fmt.Sprintf("the quote %c at offset %d is not closed", c, i)
			}
			i = end
			continue
		case '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return fmt.Sprintf("the bracket at offset %d is not closed", i)
			}
			i += end + 1
			continue
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return fmt.Sprintf("the parenthesis at offset %d closes nothing", i)
			}
		case ';':
			return "it holds a \";\", which would end the statement"
		case '-':
			if i+1 < len(s) && s[i+1] == '-' {
				return "it holds a -- comment"
			}
		case '/':
			if i+1 < len(s) && s[i+1] == '*' {
				return "it holds a /* comment"
			}
		case 0:
			return "it holds a NUL character"
		}
		i++
	}
	if depth > 0 {
		return "a parenthesis is not closed"
	}
	return ""
}

// skipQuoted returns the index just past the quoted text starting at
// s[i] (a doubled quote inside is an escaped quote), or -1 when the quote
// is not closed.
func skipQuoted(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		if s[j] != q {
			continue
		}
		if j+1 < len(s) && s[j+1] == q {
			j++
			continue
		}
		return j + 1
	}
	return -1
}

// matchParen returns the index of the parenthesis closing the one at
// s[i], or -1.
func matchParen(s string, i int) int {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '\'', '"', '`':
			end := skipQuoted(s, j)
			if end < 0 {
				return -1
			}
			j = end - 1
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// parseCollation returns the collation in the form Field.SQL.Collate
// holds ("" for BINARY, the default) and whether D1 has it.
func parseCollation(s string) (string, bool) {
	switch u := strings.ToUpper(strings.TrimSpace(s)); u {
	case "BINARY":
		return "", true
	case "NOCASE", "RTRIM":
		return u, true
	}
	return "", false
}

const actionNames = "cascade, set null, set default, restrict, no action"

// parseAction returns the upper-case foreign key action ("SET NULL"),
// accepting "set_null" and any case.
func parseAction(s string) (string, bool) {
	u := strings.Join(strings.Fields(strings.ReplaceAll(strings.ToUpper(s), "_", " ")), " ")
	switch u {
	case "CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION":
		return u, true
	}
	return "", false
}

// parseReference reads "table", "table.column" or "table(col, ...)".
func parseReference(s string) (Reference, string) {
	var r Reference
	table, cols := s, ""
	if i := strings.IndexByte(s, '('); i >= 0 {
		if !strings.HasSuffix(s, ")") {
			return r, "the column list does not end with \")\""
		}
		table, cols = strings.TrimSpace(s[:i]), s[i+1:len(s)-1]
		if strings.TrimSpace(cols) == "" {
			return r, "the column list is empty"
		}
	} else if i := strings.IndexByte(s, '.'); i >= 0 {
		table, cols = s[:i], s[i+1:]
		if strings.TrimSpace(cols) == "" {
			return r, "no column after the dot"
		}
	}
	if !isIdent(table) {
		return r, fmt.Sprintf("%q is not a table name", table)
	}
	r.Table = table
	if cols == "" {
		return r, ""
	}
	seen := map[string]bool{}
	for _, c := range strings.Split(cols, ",") {
		c = strings.TrimSpace(c)
		if !isIdent(c) {
			return r, fmt.Sprintf("%q is not a column name", c)
		}
		if seen[strings.ToLower(c)] {
			return r, fmt.Sprintf("the column %q is listed twice", c)
		}
		seen[strings.ToLower(c)] = true
		r.Columns = append(r.Columns, c)
	}
	return r, ""
}

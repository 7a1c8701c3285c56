package hclspec

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
	"golang.org/x/crypto/bcrypt"
)

// SensitiveMark is the cty mark carried by every value read from env.X and
// by every value computed from one. Marked values must never be printed.
const SensitiveMark = "sensitive"

// TimestampLayout is how timestamps are written: UTC ISO-8601 with
// milliseconds, e.g. 2026-11-27T14:50:08.123Z.
const TimestampLayout = "2006-01-02T15:04:05.000Z07:00"

// EvalContext returns the context hook and seed expressions are evaluated
// in: env (every environment variable getenv knows among the names of the
// process environment, each marked sensitive), the functions bcrypt, uuid,
// timestamp, lower and upper, and vars (for example self and changes).
// A nil getenv means os.LookupEnv. Use EvalContextFor when getenv serves
// names that are not in the process environment.
func EvalContext(getenv func(string) (string, bool), vars map[string]cty.Value) *hcl.EvalContext {
	var names []string
	for _, kv := range os.Environ() {
		if i := strings.IndexByte(kv, '='); i > 0 {
			names = append(names, kv[:i])
		}
	}
	env, _ := EnvValue(getenv, names)
	return newContext(env, vars)
}

// EvalContextFor is EvalContext with env holding exactly the variables the
// expressions reference. It also returns the referenced names getenv does
// not know, sorted, so the caller can report them (by name, never value).
func EvalContextFor(getenv func(string) (string, bool), vars map[string]cty.Value, exprs ...hcl.Expression) (*hcl.EvalContext, []string) {
	env, missing := EnvValue(getenv, EnvNames(exprs...))
	return newContext(env, vars), missing
}

func newContext(env cty.Value, vars map[string]cty.Value) *hcl.EvalContext {
	v := make(map[string]cty.Value, len(vars)+1)
	for k, x := range vars {
		v[k] = x
	}
	v["env"] = env
	return &hcl.EvalContext{Variables: v, Functions: Functions()}
}

// EnvValue returns an object holding the named environment variables that
// getenv knows, each marked sensitive, and the names it does not know.
func EnvValue(getenv func(string) (string, bool), names []string) (cty.Value, []string) {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	attrs := map[string]cty.Value{}
	var missing []string
	for _, n := range names {
		if s, ok := getenv(n); ok {
			attrs[n] = cty.StringVal(s).Mark(SensitiveMark)
		} else {
			missing = append(missing, n)
		}
	}
	return cty.ObjectVal(attrs), missing
}

// EnvNames returns the names X of every env.X the expressions reference,
// sorted and without repeats.
func EnvNames(exprs ...hcl.Expression) []string {
	seen := map[string]bool{}
	for _, e := range exprs {
		if e == nil {
			continue
		}
		for _, t := range e.Variables() {
			if t.RootName() != "env" || len(t) < 2 {
				continue
			}
			switch a := t[1].(type) {
			case hcl.TraverseAttr:
				seen[a.Name] = true
			case hcl.TraverseIndex:
				if a.Key.Type() == cty.String && a.Key.IsKnown() && !a.Key.IsNull() {
					seen[a.Key.AsString()] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Functions returns the functions available to hook and seed expressions.
func Functions() map[string]function.Function {
	return map[string]function.Function{
		"bcrypt":    bcryptFunc,
		"uuid":      uuidFunc,
		"timestamp": timestampFunc,
		"lower":     stdlib.LowerFunc,
		"upper":     stdlib.UpperFunc,
		"tonumber":  toNumberFunc,
		"tobool":    toBoolFunc,
		"tostring":  toStringFunc,
	}
}

// The conversion functions turn env values (always strings) into the
// numbers and booleans that integer, number and boolean fields take, and
// back. Unlike cty's own conversion functions, their errors never quote
// the value: it may be a secret. A sensitive argument gives a sensitive
// result (the function system carries the marks over).
var (
	toNumberFunc = conversionFunc(cty.Number, "a number", func(s string) (cty.Value, error) {
		v, err := cty.ParseNumberVal(strings.TrimSpace(s))
		if err != nil {
			return cty.NilVal, errors.New("the string is not a decimal number")
		}
		return v, nil
	})
	toBoolFunc = conversionFunc(cty.Bool, "true or false", func(s string) (cty.Value, error) {
		switch strings.TrimSpace(s) {
		case "true":
			return cty.True, nil
		case "false":
			return cty.False, nil
		}
		return cty.NilVal, errors.New(`the string is neither "true" nor "false"`)
	})
	toStringFunc = conversionFunc(cty.String, "a string", nil)
)

// UnsetPlaceholder is what env.X reads as while a seed is evaluated for a
// plan made without X (a pull request's job has no seed secrets): the
// fields that read it are unknown, never compared or validated. tonumber
// and tobool turn it into a zero value of their type rather than fail.
const UnsetPlaceholder = "dmplan-unset-variable"

// zeroOf is the zero value of a number or bool type.
func zeroOf(t cty.Type) cty.Value {
	if t == cty.Bool {
		return cty.False
	}
	return cty.Zero
}

// conversionFunc converts a string, number or boolean to want; parse turns
// a string into want (nil when want is cty.String).
func conversionFunc(want cty.Type, what string, parse func(string) (cty.Value, error)) function.Function {
	return function.New(&function.Spec{
		Description: "Converts a string, number or boolean to " + what + ".",
		Params:      []function.Parameter{{Name: "v", Type: cty.DynamicPseudoType}},
		Type:        function.StaticReturnType(want),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v := args[0]
			switch {
			case v.Type() == want:
				return v, nil
			case v.Type() == cty.String && parse != nil && v.AsString() == UnsetPlaceholder:
				// A plan without the seed's secrets: the field is
				// unknown and never compared or validated, so any value
				// of the right type stands for it.
				return zeroOf(want), nil
			case v.Type() == cty.String && parse != nil:
				return parse(v.AsString())
			case want == cty.String && v.Type() == cty.Number:
				return cty.StringVal(v.AsBigFloat().Text('f', -1)), nil
			case want == cty.String && v.Type() == cty.Bool:
				if v.True() {
					return cty.StringVal("true"), nil
				}
				return cty.StringVal("false"), nil
			}
			return cty.NilVal, fmt.Errorf("cannot convert %s to %s", v.Type().FriendlyName(), what)
		},
	})
}

var bcryptFunc = function.New(&function.Spec{
	Description: "Returns the bcrypt hash of the string.",
	Params:      []function.Parameter{{Name: "password", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	RefineResult: func(b *cty.RefinementBuilder) *cty.RefinementBuilder {
		return b.NotNull()
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		h, err := bcrypt.GenerateFromPassword([]byte(args[0].AsString()), bcrypt.DefaultCost)
		if err != nil {
			// The bcrypt errors never contain the password.
			return cty.UnknownVal(cty.String), fmt.Errorf("hash password: %w", err)
		}
		return cty.StringVal(string(h)), nil
	},
})

var uuidFunc = function.New(&function.Spec{
	Description: "Returns a new random (version 4) UUID.",
	Type:        function.StaticReturnType(cty.String),
	Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
		return cty.StringVal(NewUUID()), nil
	},
})

var timestampFunc = function.New(&function.Spec{
	Description: "Returns the current time in UTC as ISO-8601 with milliseconds.",
	Type:        function.StaticReturnType(cty.String),
	Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
		return cty.StringVal(FormatTimestamp(time.Now())), nil
	},
})

// NewUUID returns a random version 4 UUID in its canonical form.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// IsSensitive reports whether v or any value inside it is marked sensitive.
func IsSensitive(v cty.Value) bool {
	_, pvm := v.UnmarkDeepWithPaths()
	for _, p := range pvm {
		if _, ok := p.Marks[SensitiveMark]; ok {
			return true
		}
	}
	return false
}

// errMarked is returned by ToGo for marked values; the message never holds
// the value.
var errMarked = errors.New("hclspec: value is marked; unmark it deliberately before converting")

// MaxValueDepth is how deeply lists and objects may nest in a value written
// in the configuration: a default, an enum value, seed data. Nothing a data
// model declares needs more, and CheckDepth refuses deeper values with a
// clear reason rather than walking them, whatever their depth. Values
// built at run time (a webhook body holding a record) have no such limit.
const MaxValueDepth = 64

// CheckDepth returns an error when v nests more than MaxValueDepth levels.
func CheckDepth(v cty.Value) error {
	if valueDepth(v, MaxValueDepth+1) > MaxValueDepth {
		return fmt.Errorf("it is nested more than %d levels deep", MaxValueDepth)
	}
	return nil
}

// ToGo converts an unmarked, known value to a plain Go value: nil, string,
// int64 (whole numbers that fit), float64, bool, []any or map[string]any.
// Marked values are refused: check IsSensitive, then convert
// v.UnmarkDeep() knowingly. It takes time linear in the size of v, however
// deep.
func ToGo(v cty.Value) (any, error) {
	if v.ContainsMarked() {
		return nil, errMarked
	}
	if !v.IsWhollyKnown() {
		return nil, errors.New("value is not known")
	}
	g, err := toGo(v)
	if pe, ok := err.(*pathError); ok {
		return nil, pe.withPath()
	}
	return g, err
}

// valueDepth is how deeply lists, sets, tuples, maps and objects nest in
// v, counted up to limit and no further, so that a very deep value costs
// no more than a shallow one.
func valueDepth(v cty.Value, limit int) int {
	if limit <= 0 || v.IsNull() || !v.IsKnown() || v.IsMarked() || !v.CanIterateElements() {
		return 0
	}
	deepest := 0
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if d := valueDepth(e, limit-1); d > deepest {
			deepest = d
			if deepest >= limit-1 {
				break
			}
		}
	}
	return deepest + 1
}

// pathError is an error of toGo, with the path to the value at fault
// built, step by step, only as the error goes back up: building it on the
// way down would cost every value the length of its path.
type pathError struct {
	msg   string
	steps []cty.PathStep // innermost first
}

func (e *pathError) Error() string { return e.msg }

// withPath returns the error as cty reports errors in values, with its
// path.
func (e *pathError) withPath() error {
	path := make(cty.Path, 0, len(e.steps))
	for i := len(e.steps) - 1; i >= 0; i-- {
		path = append(path, e.steps[i])
	}
	return path.NewErrorf("%s", e.msg)
}

func within(err error, step cty.PathStep) error {
	if pe, ok := err.(*pathError); ok {
		pe.steps = append(pe.steps, step)
	}
	return err
}

func toGo(v cty.Value) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString(), nil
	case t == cty.Bool:
		return v.True(), nil
	case t == cty.Number:
		g := numberToGo(v.AsBigFloat())
		if x, ok := g.(float64); ok && math.IsInf(x, 0) {
			// JSON, KV and D1 hold 64-bit floats; an infinity would fail
			// every write that uses it.
			return nil, &pathError{msg: "it is out of range: a number must be a finite 64-bit float (at most about 1.8e308 in size)"}
		}
		return g, nil
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		out := make([]any, 0, v.LengthInt())
		i := int64(0)
		for it := v.ElementIterator(); it.Next(); i++ {
			_, e := it.Element()
			g, err := toGo(e)
			if err != nil {
				return nil, within(err, cty.IndexStep{Key: cty.NumberIntVal(i)})
			}
			out = append(out, g)
		}
		return out, nil
	case t.IsMapType() || t.IsObjectType():
		out := make(map[string]any, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			g, err := toGo(e)
			if err != nil {
				if t.IsObjectType() {
					return nil, within(err, cty.GetAttrStep{Name: k.AsString()})
				}
				return nil, within(err, cty.IndexStep{Key: k})
			}
			out[k.AsString()] = g
		}
		return out, nil
	}
	return nil, &pathError{msg: fmt.Sprintf("values of type %s have no Go form", t.FriendlyName())}
}

func numberToGo(f *big.Float) any {
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact {
			return i
		}
	}
	x, _ := f.Float64()
	return x
}

package hclspec

import "github.com/hashicorp/hcl/v2"

// EnvNames returns the environment variables the seed's data reads.
func (s *Seed) EnvNames() []string { return EnvNames(s.Data) }

// Evaluate computes the seed's record: field name to plain Go value. It
// reads env.X through getenv (nil: os.LookupEnv) and runs the functions
// (bcrypt, uuid, timestamp, ...), so each call may give new hashes and ids.
// sensitive holds the fields whose values came from env.X; they must never
// be printed. A variable that is not set is an error naming it and the
// seed; no diagnostic holds a value.
func (s *Seed) Evaluate(getenv func(string) (string, bool)) (record map[string]any, sensitive map[string]bool, diags hcl.Diagnostics) {
	if s.Data == nil {
		return nil, nil, hcl.Diagnostics{errorf(s.DeclRange, "Seed without data",
			"The seed %s.%s has no data.", s.Model, s.Name)}
	}
	ctx, missing := EvalContextFor(getenv, nil, s.Data)
	for _, name := range missing {
		diags = append(diags, errorf(envRange(s.Data, name), "Environment variable not set",
			"The seed %s.%s reads the environment variable %s, which is not set.", s.Model, s.Name, name))
	}
	if diags.HasErrors() {
		return nil, nil, diags
	}
	v, vd := s.Data.Value(ctx)
	if vd.HasErrors() {
		return nil, nil, Redact(vd)
	}
	if v.IsNull() || !v.IsKnown() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		return nil, nil, hcl.Diagnostics{errorf(s.Data.Range(), "Invalid seed data",
			"The data of seed %s.%s must be an object of field values.", s.Model, s.Name)}
	}
	record = map[string]any{}
	sensitive = map[string]bool{}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		name := k.AsString()
		if IsSensitive(e) {
			sensitive[name] = true
		}
		plain, _ := e.UnmarkDeep()
		err := CheckDepth(plain)
		var g any
		if err == nil {
			g, err = ToGo(plain)
		}
		if err != nil {
			diags = append(diags, errorf(s.Data.Range(), "Invalid seed value",
				"The value of field %q in seed %s.%s has no stored form: %v.", name, s.Model, s.Name, err))
			continue
		}
		record[name] = g
	}
	return record, sensitive, diags
}

// envRange is the range of the first env.<name> in e, or e's range.
func envRange(e hcl.Expression, name string) hcl.Range {
	for _, t := range e.Variables() {
		if t.RootName() != "env" || len(t) < 2 {
			continue
		}
		if a, ok := t[1].(hcl.TraverseAttr); ok && a.Name == name {
			return t.SourceRange()
		}
	}
	return e.Range()
}

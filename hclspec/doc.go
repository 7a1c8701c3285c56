// Package hclspec parses and validates *.dm.hcl files into a normalized Spec:
// models with their built-in fields expanded, KV and D1 mappings, hooks,
// seeds and environments. Every problem is reported as an hcl.Diagnostic
// with its source range, all at once.
//
// Load a directory and print what is wrong:
//
//	spec, diags := hclspec.LoadDir("examples")
//	if diags.HasErrors() {
//		hclspec.WriteDiagnostics(os.Stderr, spec, diags, color)
//		return
//	}
//	target, diags := spec.ResolveEnvironment("production", os.LookupEnv)
//
// Expressions that run later (hook conditions and actions, seed data) stay
// hcl.Expression in the Spec. Evaluate them with EvalContextFor, which
// provides env (every value marked sensitive), self, changes and the
// functions bcrypt, uuid, timestamp, lower and upper; convert results with
// ToGo and pass evaluation diagnostics through Redact. Values read from
// env.X must never be printed: IsSensitive finds them, Target.Sensitive
// and Seed.Evaluate name the arguments and fields that hold them.
//
// The runtime validates field values with ValidateNamed, the same rules
// the loader applies to defaults.
package hclspec

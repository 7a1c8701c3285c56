// Package hclspec parses and validates *.dm.hcl files into a normalized Spec:
// models with their built-in fields expanded, KV and D1 mappings, hooks,
// seeds and environments. Every problem is reported as an hcl.Diagnostic
// with its source range, all at once.
package hclspec

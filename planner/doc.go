// Package planner computes the safe, additive steps that bring a live D1/KV
// schema to the declared one. It does no I/O: a Plan is plain data, rendered
// by views and executed by the applier.
package planner

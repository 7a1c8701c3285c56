// Package archtest holds the test that keeps the module's import graph to
// the layout of the design (dependency arrows point down only): services
// importing the runtime link neither the planner, the applier nor the
// operator side, and the backend packages and their conformance suite
// depend on nothing above them. It has no code of its own.
package archtest

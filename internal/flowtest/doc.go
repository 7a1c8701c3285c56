// Package flowtest is the full-flow conformance suite every dmplan backend
// passes on top of the backend interfaces' own suite (backend/backendtest):
// plan the repository's examples against an empty target, apply them with
// their seeds, plan again (nothing to do), evolve the spec, then runtime
// CRUD, queries and auth on the result. It sits above the runtime, the
// planner and the applier, so that backend/ depends on none of them.
package flowtest

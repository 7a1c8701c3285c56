// Package backendtest is the conformance suite every dmplan backend passes:
// the local SQLite store and the Cloudflare REST backend against workerd run
// the same tests, so code written against the backend interfaces behaves the
// same on both. It depends on package backend alone; the full flow
// (plan, apply, runtime CRUD on a backend) is internal/flowtest.
//
// CancelInFlight is a transport for the tests of the backends that speak
// HTTP (REST and gateway): a caller that gives up while its request is in
// flight.
package backendtest

package gateway

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/backend"
)

// Sentinel errors of this package.
var (
	// ErrUnauthorized is returned when the gateway refuses the secret
	// (HTTP 401). Nothing ran.
	ErrUnauthorized = errors.New("gateway: the gateway refused the secret (HTTP 401); check DMPLAN_GATEWAY_SECRET against the secret `dmplan apply` deployed")
	// ErrVersion is returned when the gateway runs a script version this
	// package does not speak.
	ErrVersion = errors.New("gateway: version not spoken")
	// ErrNamespacesByApply is returned by CreateNamespace: namespaces and
	// their bindings are created by `dmplan apply`, which redeploys the
	// gateway with them.
	ErrNamespacesByApply = errors.New("gateway: KV namespaces are created by `dmplan apply`, which binds them to the gateway; they cannot be created through it")
	// ErrNotConfigured is returned by OpenFromEnv when the URL or the
	// secret is missing.
	ErrNotConfigured = errors.New("gateway: not configured")
	// ErrMisconfigured is wrapped by errors of a gateway that lacks a
	// binding it needs (HTTP 500 code misconfigured).
	ErrMisconfigured = errors.New("gateway: the gateway is misconfigured; run `dmplan apply` to redeploy it")
)

// RequestError is a request the gateway refused before running anything
// (HTTP 400, 405, 413, or 500 when misconfigured). It unwraps to the
// backend sentinel its code matches (backend.ErrTooLarge, ErrInvalidKey,
// ErrInvalidExpiration, ErrNamespaceNotFound, ErrTransactionStatement) or
// ErrMisconfigured.
type RequestError struct {
	Status  int
	Code    string
	Message string
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("gateway refused the request (HTTP %d, %s): %s", e.Status, e.Code, e.Message)
}

func (e *RequestError) Unwrap() error { return codeSentinel(e.Code) }

func codeSentinel(code string) error {
	switch code {
	case "too_large":
		return backend.ErrTooLarge
	case "invalid_key":
		return backend.ErrInvalidKey
	case "invalid_expiration":
		return backend.ErrInvalidExpiration
	case "unknown_namespace":
		return backend.ErrNamespaceNotFound
	case "transaction":
		return backend.ErrTransactionStatement
	case "misconfigured":
		return ErrMisconfigured
	case "unauthorized":
		return ErrUnauthorized
	}
	return nil
}

// OpError is an op that failed while the gateway ran it: D1's or KV's own
// message. A D1 error unwraps to backend.ErrConstraint for a constraint
// violation, backend.ErrTransactionStatement and backend.ErrNotAuthorized
// as D1's message says.
type OpError struct {
	Code    string // "d1", "kv", "ref"
	Message string
}

func (e *OpError) Error() string {
	if e.Code == "d1" {
		return "d1: " + e.Message
	}
	return e.Code + ": " + e.Message
}

func (e *OpError) Unwrap() []error {
	var errs []error
	m := strings.ToLower(e.Message)
	if e.Code == "d1" {
		if strings.Contains(m, "constraint failed") || strings.Contains(m, "sqlite_constraint") {
			errs = append(errs, backend.ErrConstraint)
		}
		if strings.Contains(m, "begin transaction or savepoint") || strings.Contains(m, "disallowed query: begin") ||
			strings.Contains(m, "please use the state.storage.transaction") {
			errs = append(errs, backend.ErrTransactionStatement)
		}
		if strings.Contains(m, "not authorized") || strings.Contains(m, "sqlite_auth") {
			errs = append(errs, backend.ErrNotAuthorized)
		}
		if strings.Contains(m, "toobig") || strings.Contains(m, "too long") || strings.Contains(m, "too big") {
			errs = append(errs, backend.ErrTooLarge)
		}
	}
	return errs
}

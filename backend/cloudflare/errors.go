package cloudflare

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/dmplan/dmplan/backend"
)

// Sentinel errors of this package.
var (
	// ErrDatabaseNotFound is returned by Open when the D1 database named in
	// Config.Database does not exist in the account.
	ErrDatabaseNotFound = errors.New("cloudflare: d1 database not found")
	// ErrNoDatabase is returned by D1 calls when Config.Database was empty.
	ErrNoDatabase = errors.New("cloudflare: no d1 database configured")
)

var errUnexpectedEOF = io.ErrUnexpectedEOF

// AccountPlaceholder stands for the account id in the text of this
// package's errors and log lines: the API's URLs hold the id
// (/accounts/{account_id}/d1/...), and an HTTP client's errors quote them.
const AccountPlaceholder = "{account_id}"

// accountHidden is an error whose text has the account id replaced by
// AccountPlaceholder. It unwraps to the original, so errors.Is and
// errors.As see every error it wraps (a caller that prints those itself
// prints what they hold).
type accountHidden struct {
	msg string
	err error
}

func (e *accountHidden) Error() string { return e.msg }
func (e *accountHidden) Unwrap() error { return e.err }

// hideAccount returns err, with its text rewritten when it holds the
// account id.
func (s *Store) hideAccount(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if s.cfg.AccountID == "" || !strings.Contains(msg, s.cfg.AccountID) {
		return err
	}
	return &accountHidden{msg: strings.ReplaceAll(msg, s.cfg.AccountID, AccountPlaceholder), err: err}
}

func isEOF(err error) bool { return errors.Is(err, io.EOF) }

// APIError is a Cloudflare API error answer, described briefly: status, the
// API's error codes and messages. It unwraps to the SDK's *cloudflare.Error.
type APIError struct {
	StatusCode int
	Codes      []int64
	Messages   []string
	err        *apiError
}

func (e *APIError) Error() string {
	msg := strings.Join(e.Messages, "; ")
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	codes := make([]string, len(e.Codes))
	for i, c := range e.Codes {
		codes[i] = fmt.Sprint(c)
	}
	if len(codes) > 0 {
		return fmt.Sprintf("cloudflare api: HTTP %d: %s (code %s)", e.StatusCode, msg, strings.Join(codes, ","))
	}
	return fmt.Sprintf("cloudflare api: HTTP %d: %s", e.StatusCode, msg)
}

func (e *APIError) Unwrap() error { return e.err }

// describe turns a *cloudflare.Error (whose own text is the full URL and raw
// body) into an *APIError; other errors pass through.
func describe(err error) error {
	var apiErr *apiError
	if !errors.As(err, &apiErr) {
		return err
	}
	var already *APIError
	if errors.As(err, &already) {
		return err
	}
	out := &APIError{StatusCode: apiErr.StatusCode, err: apiErr}
	for _, e := range apiErr.Errors {
		out.Codes = append(out.Codes, e.Code)
		out.Messages = append(out.Messages, e.Message)
	}
	return out
}

// statusOf returns the HTTP status of an API error, or 0.
func statusOf(err error) int {
	var apiErr *apiError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode
	}
	return 0
}

// D1Error is an error D1 returned for a statement: its message is D1's own
// ("UNIQUE constraint failed: t.email: SQLITE_CONSTRAINT"). It unwraps to the
// API error (and so to *cloudflare.Error), to backend.ErrConstraint for a
// constraint violation and to backend.ErrTransactionStatement for
// BEGIN/SAVEPOINT.
type D1Error struct {
	// Message is D1's message.
	Message string
	// SQL is the statement when the failing one is known (a single
	// statement), else "".
	SQL string
	err error
}

func (e *D1Error) Error() string {
	if e.SQL != "" {
		return fmt.Sprintf("d1: %s (in %s)", e.Message, abbreviate(e.SQL, 120))
	}
	return "d1: " + e.Message
}

func (e *D1Error) Unwrap() []error {
	errs := []error{e.err}
	if isTransactionMessage(e.Message) {
		errs = append(errs, backend.ErrTransactionStatement)
	}
	if isConstraintMessage(e.Message) {
		errs = append(errs, backend.ErrConstraint)
	}
	return errs
}

func isConstraintMessage(msg string) bool {
	return strings.Contains(msg, "constraint failed") || strings.Contains(msg, "SQLITE_CONSTRAINT")
}

func isTransactionMessage(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "begin transaction or savepoint") || strings.Contains(m, "disallowed query: begin") ||
		strings.Contains(m, "please use the state.storage.transaction")
}

// d1Error maps an API failure of a D1 query to a *D1Error when D1 answered
// with a statement error (HTTP 400, code 7500), else describes it.
func d1Error(err error, sts []backend.Stmt) error {
	var apiErr *apiError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest || len(apiErr.Errors) == 0 {
		return describe(err)
	}
	msgs := make([]string, 0, len(apiErr.Errors))
	for _, e := range apiErr.Errors {
		msgs = append(msgs, e.Message)
	}
	out := &D1Error{Message: strings.Join(msgs, "; "), err: describe(err)}
	if len(sts) == 1 {
		out.SQL = sts[0].SQL
	}
	return out
}

func abbreviate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

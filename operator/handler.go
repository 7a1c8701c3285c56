package operator

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/runtime"
)

// ActionInitialize is the action InitializeHandler serves.
const ActionInitialize = "system.initialize"

// HandlerOptions configure InitializeHandler.
type HandlerOptions struct {
	// AdminToken is the bearer token callers must send
	// (Authorization: Bearer TOKEN). Without one the handler refuses to
	// run, unless AllowUnauthenticated.
	AdminToken string
	// AllowUnauthenticated serves the handler without a token. Only for a
	// service that is reachable by admins alone.
	AllowUnauthenticated bool
	// Init adjusts each Initialize run (lock timeout, environment).
	Init InitOptions
}

// maxRequestBytes bounds the request body.
const maxRequestBytes = 64 << 10

// InitializeHandler returns an http.Handler a Go service can mount to run
// Initialize on request, like the spec's system.initialize cloud function:
//
//	POST {"action":"system.initialize"}
//	Authorization: Bearer <AdminToken>
//
// It answers {"success":true,"data":<InitReport>} or
// {"success":false,"error":"..."}: 405 for other methods, 401 without the
// right token (compared in constant time; the scheme is case-insensitive),
// 400 for a bad body or an
// unknown action, 409 while another apply holds the target's lock, 500 for
// a failed run. A run that has started finishes even if the client
// disconnects. With no AdminToken and no AllowUnauthenticated it answers
// every request with 500 and says how to configure it.
func InitializeHandler(ds *runtime.Datastore, opts HandlerOptions) http.Handler {
	want := sha256.Sum256([]byte(opts.AdminToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if opts.AdminToken == "" && !opts.AllowUnauthenticated {
			writeResult(w, http.StatusInternalServerError, nil,
				"the initialize handler has no admin token: set HandlerOptions.AdminToken, or AllowUnauthenticated to serve it unprotected")
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeResult(w, http.StatusMethodNotAllowed, nil, "method "+r.Method+" not allowed: use POST")
			return
		}
		if opts.AdminToken != "" {
			scheme, got, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
			sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
			if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="dmplan"`)
				writeResult(w, http.StatusUnauthorized, nil, "missing or wrong admin token")
				return
			}
		}
		var req struct {
			Action string `json:"action"`
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
		if err != nil || len(body) > maxRequestBytes {
			writeResult(w, http.StatusBadRequest, nil, "the request body could not be read or is over 64 KiB")
			return
		}
		if err := json.Unmarshal(body, &req); err != nil {
			writeResult(w, http.StatusBadRequest, nil, `the request body must be JSON like {"action":"system.initialize"}`)
			return
		}
		if req.Action != ActionInitialize {
			writeResult(w, http.StatusBadRequest, nil, "unknown action "+quote(req.Action)+": this endpoint serves "+ActionInitialize)
			return
		}
		// Once started, a run finishes even if the client hangs up: stopping
		// between batches would leave half a migration for the next call.
		rep, err := InitializeWith(context.WithoutCancel(r.Context()), ds, opts.Init)
		switch {
		case errors.Is(err, applier.ErrLocked):
			writeResult(w, http.StatusConflict, nil, err.Error())
		case err != nil:
			writeResult(w, http.StatusInternalServerError, nil, err.Error())
		default:
			writeResult(w, http.StatusOK, rep, "")
		}
	})
}

// result is the handler's response envelope.
type result struct {
	Success bool        `json:"success"`
	Data    *InitReport `json:"data,omitempty"`
	Error   string      `json:"error,omitempty"`
}

func writeResult(w http.ResponseWriter, code int, rep *InitReport, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	// A failed write means the client went away; there is no one to tell.
	_ = json.NewEncoder(w).Encode(result{Success: msg == "", Data: rep, Error: msg})
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

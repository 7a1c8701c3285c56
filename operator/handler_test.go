package operator_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/operator"
)

func TestInitializeHandler(t *testing.T) {
	type reply struct {
		Success bool                 `json:"success"`
		Data    *operator.InitReport `json:"data"`
		Error   string               `json:"error"`
	}
	const token = "s3cret-admin-token"
	tests := []struct {
		name     string
		opts     operator.HandlerOptions
		method   string
		auth     string
		body     string
		code     int
		errHas   string
		initRuns bool
	}{
		{name: "no token configured", opts: operator.HandlerOptions{}, method: "POST", body: `{"action":"system.initialize"}`,
			code: 500, errHas: "no admin token"},
		{name: "GET", opts: operator.HandlerOptions{AdminToken: token}, method: "GET", auth: "Bearer " + token,
			code: 405, errHas: "use POST"},
		{name: "no bearer", opts: operator.HandlerOptions{AdminToken: token}, method: "POST", body: `{"action":"system.initialize"}`,
			code: 401, errHas: "admin token"},
		{name: "wrong bearer", opts: operator.HandlerOptions{AdminToken: token}, method: "POST", auth: "Bearer " + token + "x",
			body: `{"action":"system.initialize"}`, code: 401, errHas: "admin token"},
		{name: "not JSON", opts: operator.HandlerOptions{AdminToken: token}, method: "POST", auth: "Bearer " + token,
			body: `action=system.initialize`, code: 400, errHas: "must be JSON"},
		{name: "unknown action", opts: operator.HandlerOptions{AdminToken: token}, method: "POST", auth: "Bearer " + token,
			body: `{"action":"system.drop"}`, code: 400, errHas: `unknown action "system.drop"`},
		{name: "initialize with token", opts: operator.HandlerOptions{AdminToken: token}, method: "POST", auth: "Bearer " + token,
			body: `{"action":"system.initialize"}`, code: 200, initRuns: true},
		{name: "lower-case scheme", opts: operator.HandlerOptions{AdminToken: token}, method: "POST", auth: "bearer " + token,
			body: `{"action":"system.initialize"}`, code: 200, initRuns: true},
		{name: "token without scheme", opts: operator.HandlerOptions{AdminToken: token}, method: "POST", auth: token,
			body: `{"action":"system.initialize"}`, code: 401, errHas: "admin token"},
		{name: "initialize unauthenticated when allowed", opts: operator.HandlerOptions{AllowUnauthenticated: true}, method: "POST",
			body: `{"action":"system.initialize"}`, code: 200, initRuns: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSeedEnv(t, seedModels+settingSeeds)
			tt.opts.Init.Getenv = e.getenv
			h := operator.InitializeHandler(e.ds, tt.opts)
			req := httptest.NewRequest(tt.method, "/api/function", strings.NewReader(tt.body))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.code {
				t.Errorf("status %d, want %d: %s", rec.Code, tt.code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var got reply
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if got.Success != (tt.code == 200) || !strings.Contains(got.Error, tt.errHas) {
				t.Errorf("reply %+v, want success %v and error containing %q", got, tt.code == 200, tt.errHas)
			}
			if strings.Contains(rec.Body.String(), token) {
				t.Errorf("reply echoes the token: %s", rec.Body)
			}
			tables := len(e.rows(t, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'settings'"))
			if (tables == 1) != tt.initRuns {
				t.Errorf("settings table exists = %v, want %v", tables == 1, tt.initRuns)
			}
			if tt.initRuns {
				want := []operator.SeedRecord{{Model: "SETTING", Records: 2}}
				if got.Data == nil || !cmp.Equal(want, got.Data.SeedsRun) {
					t.Errorf("data = %+v, want seedsRun %v", got.Data, want)
				}
			}
			if tt.code == 405 && rec.Header().Get("Allow") != "POST" {
				t.Errorf("Allow header %q", rec.Header().Get("Allow"))
			}
			if tt.code == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

// TestInitializeLocked: while another apply holds the target's lock,
// Initialize fails at once naming the holder, and the handler says 409.
func TestInitializeLocked(t *testing.T) {
	ctx := context.Background()
	e := newSeedEnv(t, seedModels+settingSeeds)
	l, err := applier.AcquireLock(ctx, e.be.D1(), applier.LockOptions{Who: "deployer@ci", Operation: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = operator.InitializeWith(ctx, e.ds, operator.InitOptions{Getenv: e.getenv})
	if !operator.IsLocked(err) || !strings.Contains(err.Error(), "deployer@ci") {
		t.Fatalf("Initialize while locked = %v", err)
	}
	h := operator.InitializeHandler(e.ds, operator.HandlerOptions{AllowUnauthenticated: true, Init: operator.InitOptions{Getenv: e.getenv}})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/", strings.NewReader(`{"action":"system.initialize"}`)))
	if rec.Code != 409 || !strings.Contains(rec.Body.String(), `"success":false`) || !strings.Contains(rec.Body.String(), "deployer@ci") {
		t.Errorf("handler while locked: %d %s", rec.Code, rec.Body)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	// Waiting works too: with the lock free, Initialize runs.
	if _, err := operator.InitializeWith(ctx, e.ds, operator.InitOptions{Getenv: e.getenv, LockTimeout: time.Second}); err != nil {
		t.Errorf("Initialize after release: %v", err)
	}
}

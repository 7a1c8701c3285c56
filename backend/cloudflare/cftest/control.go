package cftest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/internal/nodeproc"
)

// Request is one API request the harness served, from its log.
type Request struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query"`
	// Status is the HTTP status sent, or 0 when the connection was dropped.
	Status  int  `json:"status"`
	Dropped bool `json:"dropped,omitempty"`
}

// Fault fails the next Count API requests (of Account when set, else of any
// account): with HTTP Status (429, 500, 502 or 503) and an optional
// Retry-After in seconds, or, with Drop, by closing the connection without a
// response. With After the request runs first and only its response is
// replaced or dropped, which is how a timeout after a successful write looks.
type Fault struct {
	Account    string
	Status     int
	Count      int
	RetryAfter *int
	Drop       bool
	After      bool
	// Skip lets that many matching requests through before the fault
	// starts.
	Skip int
}

// Requests returns the API requests served since the last ResetLog, for
// the account when acct is not empty.
func (h *Harness) Requests(t testing.TB, acct string) []Request {
	t.Helper()
	var out struct {
		Requests []Request `json:"requests"`
	}
	if err := h.control(http.MethodGet, "/__harness/log", nil, &out); err != nil {
		t.Fatalf("cftest: read request log: %v", err)
	}
	if acct == "" {
		return out.Requests
	}
	var mine []Request
	for _, r := range out.Requests {
		if strings.HasPrefix(r.Path, "/client/v4/accounts/"+acct+"/") || r.Path == "/client/v4/accounts/"+acct {
			mine = append(mine, r)
		}
	}
	return mine
}

// ResetLog empties the request log and clears any pending fault.
func (h *Harness) ResetLog(t testing.TB) {
	t.Helper()
	if err := h.control(http.MethodPost, "/__harness/reset", nil, nil); err != nil {
		t.Fatalf("cftest: reset harness log: %v", err)
	}
}

// SetFault arms a fault for the next requests.
func (h *Harness) SetFault(t testing.TB, f Fault) {
	t.Helper()
	body := map[string]any{"after": f.After, "skip": f.Skip}
	if f.Account != "" {
		body["account"] = f.Account
	}
	if f.Drop {
		body["drop"] = f.Count
	} else {
		body["status"] = f.Status
		body["count"] = f.Count
		if f.RetryAfter != nil {
			body["retry_after"] = *f.RetryAfter
		}
	}
	if err := h.control(http.MethodPost, "/__harness/fault", body, nil); err != nil {
		t.Fatalf("cftest: set fault: %v", err)
	}
}

func (h *Harness) control(method, path string, in, out any) error {
	return h.do(context.Background(), method, h.root+path, in, out)
}

// api calls the harness's Cloudflare REST API directly (for setup and
// cleanup, not for the code under test).
func (h *Harness) api(ctx context.Context, method, path string, in, out any) error {
	return h.do(ctx, method, h.BaseURL+path, in, out)
}

func (h *Harness) do(ctx context.Context, method, url string, in, out any) error {
	header := http.Header{"Authorization": {"Bearer " + h.Token}, "Content-Type": {"application/json"}}
	return nodeproc.JSON(ctx, h.client, method, url, header, in, out)
}

// deleteAll deletes every database and namespace of the account.
func (h *Harness) deleteAll(acct string) error {
	ctx := context.Background()
	// Scripts first: they bind the databases and namespaces whose slots
	// other tests reuse.
	var scripts struct {
		Result []struct {
			ID string `json:"id"`
		} `json:"result"`
	}
	if err := h.api(ctx, http.MethodGet, "accounts/"+acct+"/workers/scripts", nil, &scripts); err != nil {
		return err
	}
	for _, s := range scripts.Result {
		if err := h.api(ctx, http.MethodDelete, "accounts/"+acct+"/workers/scripts/"+s.ID, nil, nil); err != nil {
			return err
		}
	}
	var dbs struct {
		Result []struct {
			UUID string `json:"uuid"`
		} `json:"result"`
	}
	if err := h.api(ctx, http.MethodGet, "accounts/"+acct+"/d1/database?per_page=1000", nil, &dbs); err != nil {
		return err
	}
	// In parallel: a fleet test's account holds hundreds of databases.
	sem := make(chan struct{}, 8)
	errs := make(chan error, len(dbs.Result))
	for _, d := range dbs.Result {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			errs <- h.api(ctx, http.MethodDelete, "accounts/"+acct+"/d1/database/"+d.UUID, nil, nil)
		}()
	}
	for range dbs.Result {
		if err := <-errs; err != nil {
			return err
		}
	}
	var nss struct {
		Result []struct {
			ID string `json:"id"`
		} `json:"result"`
	}
	if err := h.api(ctx, http.MethodGet, "accounts/"+acct+"/storage/kv/namespaces?per_page=1000", nil, &nss); err != nil {
		return err
	}
	for _, n := range nss.Result {
		if err := h.api(ctx, http.MethodDelete, "accounts/"+acct+"/storage/kv/namespaces/"+n.ID, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// Limit mimics Cloudflare's global API rate limit for one account: at most
// Limit API requests in any Window, and once over, every API request of the
// account gets HTTP 429 (code 971, with Retry-After) for Block. Requests to
// Workers the harness serves are not limited, as on Cloudflare.
type Limit struct {
	Account string
	Limit   int
	Window  time.Duration
	Block   time.Duration
}

// SetLimit arms the limiter for l.Account until the test ends.
func (h *Harness) SetLimit(t testing.TB, l Limit) {
	t.Helper()
	body := map[string]any{"account": l.Account, "limit": l.Limit, "window_ms": l.Window.Milliseconds(), "block_ms": l.Block.Milliseconds()}
	if err := h.control(http.MethodPost, "/__harness/limit", body, nil); err != nil {
		t.Fatalf("cftest: set limit: %v", err)
	}
	t.Cleanup(func() {
		if err := h.control(http.MethodPost, "/__harness/limit", map[string]any{"account": l.Account, "limit": 0}, nil); err != nil {
			t.Errorf("cftest: remove limit: %v", err)
		}
	})
}

// LimitRefused returns how many API requests of the account the limiter
// refused with HTTP 429.
func (h *Harness) LimitRefused(t testing.TB, acct string) int {
	t.Helper()
	var out struct {
		Limit *struct {
			Refused int `json:"refused"`
		} `json:"limit"`
	}
	if err := h.control(http.MethodGet, "/__harness/limit?account="+acct, nil, &out); err != nil {
		t.Fatalf("cftest: read limit: %v", err)
	}
	if out.Limit == nil {
		return 0
	}
	return out.Limit.Refused
}

// Script is a Worker script uploaded to the harness, as it serves it.
type Script struct {
	Account    string `json:"acct"`
	Name       string `json:"name"`
	ETag       string `json:"etag"`
	MainModule string `json:"main_module"`
	// Bindings are the script's bindings, names and types only.
	Bindings []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"bindings"`
	// URL serves the script: what its workers.dev address is on Cloudflare.
	URL string `json:"url"`
}

// ScriptRequest is one request the harness passed to an uploaded script.
type ScriptRequest struct {
	Account string `json:"account"`
	Script  string `json:"script"`
	Method  string `json:"method"`
	Path    string `json:"path"`
	Status  int    `json:"status"`
}

// Scripts returns the account's uploaded scripts as the harness serves
// them, and the requests they were sent.
func (h *Harness) Scripts(t testing.TB, acct string) ([]Script, []ScriptRequest) {
	t.Helper()
	ss, rs, err := h.ListScripts(acct)
	if err != nil {
		t.Fatal(err)
	}
	return ss, rs
}

// ListScripts is Scripts for callers without a testing.TB.
func (h *Harness) ListScripts(acct string) ([]Script, []ScriptRequest, error) {
	var out struct {
		Scripts  []Script        `json:"scripts"`
		Requests []ScriptRequest `json:"requests"`
	}
	if err := h.control(http.MethodGet, "/__harness/workers", nil, &out); err != nil {
		return nil, nil, fmt.Errorf("cftest: read scripts: %w", err)
	}
	var ss []Script
	for _, s := range out.Scripts {
		if s.Account == acct {
			ss = append(ss, s)
		}
	}
	var rs []ScriptRequest
	for _, r := range out.Requests {
		if r.Account == acct {
			rs = append(rs, r)
		}
	}
	return ss, rs, nil
}

// SetUnreachable makes every API request to one database of the account
// fail with HTTP status (500, 502 or 503), as a database whose region is
// down looks, until the test ends or it is called again with status 0.
// ResetLog keeps it.
func (h *Harness) SetUnreachable(t testing.TB, acct, databaseID string, status int) {
	t.Helper()
	body := map[string]any{"account": acct, "database": databaseID, "status": status}
	if err := h.control(http.MethodPost, "/__harness/unreachable", body, nil); err != nil {
		t.Fatalf("cftest: set database %s unreachable: %v", databaseID, err)
	}
	if status != 0 {
		t.Cleanup(func() {
			body := map[string]any{"account": acct, "database": databaseID, "status": 0}
			if err := h.control(http.MethodPost, "/__harness/unreachable", body, nil); err != nil {
				t.Errorf("cftest: clear unreachable database %s: %v", databaseID, err)
			}
		})
	}
}

package cloudflare

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	cf "github.com/cloudflare/cloudflare-go/v6"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
)

func intp(i int) *int { return &i }

// count returns how many rows of t hold v.
func count(t *testing.T, f *fixture, v string) int64 {
	t.Helper()
	res, err := f.s.D1().Query(context.Background(), backend.Stmt{SQL: "SELECT count(*) FROM items WHERE v = ?", Args: []any{v}})
	if err != nil {
		t.Fatalf("count rows: %v", err)
	}
	return res.Rows[0][0].(int64)
}

func statuses(rs []cftest.Request) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.Status
	}
	return out
}

// TestFaults injects failures through the harness and checks what is
// retried, what is not, the error the caller sees, and that nothing is lost
// or written twice.
func TestFaults(t *testing.T) {
	t.Parallel()
	insert := func(f *fixture, ctx context.Context, v string) error {
		_, err := f.s.D1().Query(ctx, backend.Stmt{SQL: "INSERT INTO items (v) VALUES (?)", Args: []any{v}})
		return err
	}
	tests := []struct {
		name  string
		fault cftest.Fault
		// run does the call under test with value v and returns its error.
		run          func(f *fixture, v string) error
		wantErr      string // substring; "" means success
		wantStatuses []int  // what the harness served
		wantWaits    []time.Duration
		wantRows     int64 // rows holding v afterwards
		// wantUnknown: the error wraps backend.ErrOutcomeUnknown (a write
		// that may have run).
		wantUnknown bool
	}{
		{
			name:  "429 with Retry-After on a read is retried after the wait",
			fault: cftest.Fault{Status: 429, Count: 1, RetryAfter: intp(2)},
			run: func(f *fixture, v string) error {
				_, err := f.s.D1().Query(context.Background(), backend.Stmt{SQL: "SELECT * FROM items"})
				return err
			},
			wantStatuses: []int{429, 200},
			wantWaits:    []time.Duration{2 * time.Second},
		},
		{
			name:         "429 on a write is retried: rate-limited requests never ran",
			fault:        cftest.Fault{Status: 429, Count: 2, RetryAfter: intp(1)},
			run:          func(f *fixture, v string) error { return insert(f, context.Background(), v) },
			wantStatuses: []int{429, 429, 200},
			wantWaits:    []time.Duration{time.Second, time.Second},
			wantRows:     1,
		},
		{
			name:  "500 on a read is retried with backoff",
			fault: cftest.Fault{Status: 500, Count: 1},
			run: func(f *fixture, v string) error {
				_, err := f.s.D1().Query(context.Background(), backend.Stmt{SQL: "SELECT * FROM items"})
				return err
			},
			wantStatuses: []int{500, 200},
			wantWaits:    []time.Duration{250 * time.Millisecond},
		},
		{
			name:         "500 on a write is not replayed",
			fault:        cftest.Fault{Status: 500, Count: 1},
			run:          func(f *fixture, v string) error { return insert(f, context.Background(), v) },
			wantErr:      "not retried because it is not idempotent; it may or may not have been applied: cloudflare api: HTTP 500",
			wantStatuses: []int{500},
			wantUnknown:  true,
		},
		{
			name:         "500 after a write ran is not replayed, so the row is not written twice",
			fault:        cftest.Fault{Status: 500, Count: 1, After: true},
			run:          func(f *fixture, v string) error { return insert(f, context.Background(), v) },
			wantErr:      "may or may not have been applied",
			wantStatuses: []int{500},
			wantRows:     1,
			wantUnknown:  true,
		},
		{
			name:         "500 on a write marked idempotent is retried",
			fault:        cftest.Fault{Status: 503, Count: 1},
			run:          func(f *fixture, v string) error { return insert(f, WithIdempotent(context.Background()), v) },
			wantStatuses: []int{503, 200},
			wantWaits:    []time.Duration{250 * time.Millisecond},
			wantRows:     1,
		},
		{
			name:  "500 on a write of an op marked Idempotent (backend.RunOps) is retried",
			fault: cftest.Fault{Status: 503, Count: 1},
			run: func(f *fixture, v string) error {
				_, err := backend.RunOps(context.Background(), f.s, []backend.Op{{Kind: backend.OpD1Query, Idempotent: true,
					Stmt: backend.Stmt{SQL: "INSERT INTO items (v) VALUES (?)", Args: []any{v}}}})
				return err
			},
			wantStatuses: []int{503, 200},
			wantWaits:    []time.Duration{250 * time.Millisecond},
			wantRows:     1,
		},
		{
			name:  "500 on a statement marked Idempotent is retried",
			fault: cftest.Fault{Status: 500, Count: 1, After: true},
			run: func(f *fixture, v string) error {
				_, err := f.s.D1().Query(context.Background(), backend.Stmt{
					SQL: "INSERT INTO items (id, v) VALUES (7, ?) ON CONFLICT (id) DO UPDATE SET v = excluded.v", Args: []any{v}, Idempotent: true})
				return err
			},
			wantStatuses: []int{500, 200},
			wantWaits:    []time.Duration{250 * time.Millisecond},
			wantRows:     1,
		},
		{
			name:  "a batch with one write not marked Idempotent is not replayed",
			fault: cftest.Fault{Status: 502, Count: 1},
			run: func(f *fixture, v string) error {
				_, err := f.s.D1().Batch(context.Background(), []backend.Stmt{
					{SQL: "INSERT INTO items (id, v) VALUES (8, ?) ON CONFLICT (id) DO UPDATE SET v = excluded.v", Args: []any{v}, Idempotent: true},
					{SQL: "INSERT INTO items (v) VALUES (?)", Args: []any{v}},
				})
				return err
			},
			wantErr:      "not retried because it is not idempotent; it may or may not have been applied",
			wantStatuses: []int{502},
			wantUnknown:  true,
		},
		{
			name:         "dropped connection on a write gives a clear error",
			fault:        cftest.Fault{Drop: true, Count: 1},
			run:          func(f *fixture, v string) error { return insert(f, context.Background(), v) },
			wantErr:      "d1 query: not retried because it is not idempotent; it may or may not have been applied",
			wantStatuses: []int{0},
			wantUnknown:  true,
		},
		{
			name:         "dropped response after a write ran leaves exactly one row",
			fault:        cftest.Fault{Drop: true, Count: 1, After: true},
			run:          func(f *fixture, v string) error { return insert(f, context.Background(), v) },
			wantErr:      "may or may not have been applied",
			wantStatuses: []int{0},
			wantRows:     1,
			wantUnknown:  true,
		},
		{
			name:  "persistent 503 on a read gives up after MaxAttempts",
			fault: cftest.Fault{Status: 503, Count: 4},
			run: func(f *fixture, v string) error {
				_, err := f.s.D1().Query(context.Background(), backend.Stmt{SQL: "SELECT * FROM items"})
				return err
			},
			wantErr:      "d1 query: giving up after 4 attempts: cloudflare api: HTTP 503",
			wantStatuses: []int{503, 503, 503, 503},
			wantWaits:    []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second},
		},
		{
			name:  "an idempotent write whose answer is lost on every attempt has an unknown outcome",
			fault: cftest.Fault{Drop: true, Count: 4, After: true},
			run: func(f *fixture, v string) error {
				_, err := f.s.D1().Query(context.Background(), backend.Stmt{
					SQL: "INSERT INTO items (id, v) VALUES (9, ?) ON CONFLICT (id) DO UPDATE SET v = excluded.v", Args: []any{v}, Idempotent: true})
				return err
			},
			wantErr:      "d1 query: giving up after 4 attempts",
			wantStatuses: []int{0, 0, 0, 0},
			wantWaits:    []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second},
			wantRows:     1,
			wantUnknown:  true,
		},
		{
			name:         "a write marked idempotent given 503 on every attempt has an unknown outcome",
			fault:        cftest.Fault{Status: 503, Count: 4},
			run:          func(f *fixture, v string) error { return insert(f, WithIdempotent(context.Background()), v) },
			wantErr:      "d1 query: giving up after 4 attempts: cloudflare api: HTTP 503",
			wantStatuses: []int{503, 503, 503, 503},
			wantWaits:    []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second},
			wantUnknown:  true,
		},
		{
			name:         "a write given 429 on every attempt never ran: a plain failure",
			fault:        cftest.Fault{Status: 429, Count: 4, RetryAfter: intp(1)},
			run:          func(f *fixture, v string) error { return insert(f, WithIdempotent(context.Background()), v) },
			wantErr:      "d1 query: giving up after 4 attempts",
			wantStatuses: []int{429, 429, 429, 429},
			wantWaits:    []time.Duration{time.Second, time.Second, time.Second},
		},
		{
			name:         "Retry-After beyond the retry budget is not waited for",
			fault:        cftest.Fault{Status: 429, Count: 1, RetryAfter: intp(300)},
			run:          func(f *fixture, v string) error { return insert(f, context.Background(), v) },
			wantErr:      "next retry in 5m0s would exceed the 30s retry budget",
			wantStatuses: []int{429},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			if _, err := f.s.D1().Query(context.Background(), backend.Stmt{SQL: "CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT)"}); err != nil {
				t.Fatal(err)
			}
			f.mark(t)
			tt.fault.Account = f.acct
			f.h.SetFault(t, tt.fault)
			err := tt.run(f, "value")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("err = %v, want success", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if got := errors.Is(err, backend.ErrOutcomeUnknown); got != tt.wantUnknown {
				t.Errorf("errors.Is(%v, ErrOutcomeUnknown) = %v, want %v", err, got, tt.wantUnknown)
			}
			if diff := cmp.Diff(tt.wantStatuses, statuses(f.requests(t))); diff != "" {
				t.Errorf("requests served (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWaits, f.waits.all()); diff != "" {
				t.Errorf("retry waits (-want +got):\n%s", diff)
			}
			if got := count(t, f, "value"); got != tt.wantRows {
				t.Errorf("%d rows hold the value afterwards, want %d", got, tt.wantRows)
			}
		})
	}
}

// TestFaultErrorsUnwrap checks that an API failure keeps the SDK's error
// for callers that need the details.
func TestFaultErrorsUnwrap(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.h.SetFault(t, cftest.Fault{Account: f.acct, Status: 500, Count: 1})
	_, err := f.s.D1().Query(context.Background(), backend.Stmt{SQL: "CREATE TABLE x (a)"})
	var apiErr *cf.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusInternalServerError {
		t.Fatalf("err = %v, want one wrapping a *cloudflare.Error with status 500", err)
	}
	var short *APIError
	if !errors.As(err, &short) || short.StatusCode != 500 || len(short.Codes) != 1 {
		t.Fatalf("err = %#v, want one wrapping an *APIError", err)
	}
}

// TestKVFaultsLoseNothing drops and fails KV writes, which are idempotent
// and so retried, and checks every entry arrives.
func TestKVFaultsLoseNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	ns, err := f.s.KV().CreateNamespace(ctx, "faults")
	if err != nil {
		t.Fatal(err)
	}
	es := make([]backend.Entry, 150)
	keys := make([]string, len(es))
	for i := range es {
		keys[i] = fmt.Sprintf("k%03d", i)
		es[i] = backend.Entry{Key: keys[i], Value: []byte(fmt.Sprintf(`{"i":%d}`, i))}
	}
	f.mark(t)
	f.h.SetFault(t, cftest.Fault{Account: f.acct, Drop: true, Count: 1, After: true})
	if err := f.s.KV().PutMany(ctx, ns.ID, es); err != nil {
		t.Fatalf("PutMany with a dropped response: %v", err)
	}
	f.h.SetFault(t, cftest.Fault{Account: f.acct, Status: 502, Count: 2})
	got, err := f.s.KV().GetMany(ctx, ns.ID, keys)
	if err != nil {
		t.Fatalf("GetMany through 502s: %v", err)
	}
	if len(got) != len(es) {
		t.Fatalf("GetMany returned %d entries, want %d", len(got), len(es))
	}
	for _, e := range es {
		if string(got[e.Key]) != string(e.Value) {
			t.Errorf("%s = %q, want %q", e.Key, got[e.Key], e.Value)
		}
	}
	want := []int{0, 200, 502, 502, 200, 200}
	if diff := cmp.Diff(want, statuses(f.requests(t))); diff != "" {
		t.Errorf("requests served (-want +got):\n%s", diff)
	}
}

// TestKVWriteRetriesExhausted: a KV put or delete whose answer is lost on
// every attempt ran, so giving up says its outcome is unknown; one refused
// with 429 every time did not run and fails plainly.
func TestKVWriteRetriesExhausted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	ns, err := f.s.KV().CreateNamespace(ctx, "exhausted")
	if err != nil {
		t.Fatal(err)
	}
	put := func() error { return f.s.KV().Put(ctx, ns.ID, backend.Entry{Key: "k", Value: []byte("v")}) }
	del := func() error { return f.s.KV().Delete(ctx, ns.ID, "k") }
	putMany := func() error {
		return f.s.KV().PutMany(ctx, ns.ID, []backend.Entry{{Key: "k", Value: []byte("v")}, {Key: "k2", Value: []byte("w")}})
	}
	tests := []struct {
		name        string
		fault       cftest.Fault
		run         func() error
		wantUnknown bool
		wantFound   bool // k exists afterwards
	}{
		{"put, 429 every time", cftest.Fault{Status: 429, Count: 4}, put, false, false},
		{"put, answer lost every time", cftest.Fault{Drop: true, After: true, Count: 4}, put, true, true},
		{"delete, 503 after it ran every time", cftest.Fault{Status: 503, After: true, Count: 4}, del, true, false},
		{"put many, 502 after it ran every time", cftest.Fault{Status: 502, After: true, Count: 4}, putMany, true, true},
	}
	for _, tt := range tests {
		f.mark(t)
		tt.fault.Account = f.acct
		f.h.SetFault(t, tt.fault)
		err := tt.run()
		if err == nil || errors.Is(err, backend.ErrOutcomeUnknown) != tt.wantUnknown {
			t.Errorf("%s: err = %v, want a failure with ErrOutcomeUnknown %v", tt.name, err, tt.wantUnknown)
		}
		if n := len(f.requests(t)); n != 4 {
			t.Errorf("%s: %d requests, want 4", tt.name, n)
		}
		_, gerr := f.s.KV().Get(ctx, ns.ID, "k")
		if found := gerr == nil; found != tt.wantFound {
			t.Errorf("%s: k found = %v (%v), want %v", tt.name, found, gerr, tt.wantFound)
		}
	}
}

// TestCreateNamespaceAfterLostResponse checks that a namespace created by a
// request whose answer was lost is found, not created twice.
func TestCreateNamespaceAfterLostResponse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.mark(t)
	// Request 1 creates it, and its answer is dropped after the namespace
	// was created; request 2 lists the namespaces and finds it.
	f.h.SetFault(t, cftest.Fault{Account: f.acct, Drop: true, Count: 1, After: true})
	ns, err := f.s.KV().CreateNamespace(ctx, "lost")
	if err != nil {
		t.Fatalf("CreateNamespace with a lost answer: %v", err)
	}
	if diff := cmp.Diff([]int{0, 200}, statuses(f.requests(t))); diff != "" {
		t.Errorf("requests served (-want +got):\n%s", diff)
	}
	nss, err := f.s.KV().Namespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]backend.Namespace{ns}, nss); diff != "" {
		t.Errorf("namespaces (-want +got):\n%s", diff)
	}
}

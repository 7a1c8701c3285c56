package cloudflare

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
)

// fakeClock is a clock whose sleeps advance it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.now.Add(d); t.After(c.now) {
		c.now = t
	}
	return ctx.Err()
}

func newFakeGovernor(limit int, window time.Duration) (*Governor, *fakeClock) {
	c := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	g := NewGovernor(limit, window)
	g.now, g.sleep = c.Now, c.Sleep
	return g, c
}

func TestGovernorSlidingWindow(t *testing.T) {
	g, c := newFakeGovernor(3, 10*time.Second)
	ctx := context.Background()
	start := c.Now()
	var waits []time.Duration
	var starts []time.Duration
	for i := 0; i < 8; i++ {
		w, err := g.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, w)
		starts = append(starts, c.Now().Sub(start))
		c.Sleep(ctx, time.Second) // each request takes a second
	}
	// 3 start at 0,1,2 s; the 4th waits for the 1st to leave the window
	// (10 s), and so on.
	want := []time.Duration{0, 1, 2, 10, 11, 12, 20, 21}
	for i := range want {
		if starts[i] != want[i]*time.Second {
			t.Fatalf("request starts = %v, want %v seconds", starts, want)
		}
	}
	n, total := g.Waits()
	// Only the 4th and the 7th found the window full (each at 3 s past
	// the first's start), waiting 7 s.
	if n != 2 || total != 14*time.Second || waits[3] != 7*time.Second || waits[6] != 7*time.Second {
		t.Errorf("Waits() = %d, %s, waits %v; want 2 waits of 7s", n, total, waits)
	}
}

// TestGovernorConcurrentNeverExceeds reserves from many goroutines and
// checks that no window of the reserved start times holds more than the
// limit.
func TestGovernorConcurrentNeverExceeds(t *testing.T) {
	g, c := newFakeGovernor(5, time.Minute)
	var mu sync.Mutex
	var at []time.Time
	g.sleep = func(ctx context.Context, d time.Duration) error { return nil } // reservations only
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				d, _ := g.Wait(context.Background())
				mu.Lock()
				at = append(at, c.Now().Add(d))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(at) != 200 {
		t.Fatalf("%d reservations", len(at))
	}
	for _, a := range at {
		n := 0
		for _, b := range at {
			if !b.Before(a) && b.Before(a.Add(time.Minute)) {
				n++
			}
		}
		if n > 5 {
			t.Fatalf("%d requests start in the minute from %s, limit 5", n, a)
		}
	}
}

func TestGovernorCancelled(t *testing.T) {
	g := NewGovernor(1, time.Hour)
	if _, err := g.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait on a full window with a cancelled context = %v", err)
	}
}

func TestAPIShareConfig(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvAPIShare {
				return v
			}
			return ""
		}
	}
	base := Config{AccountID: "a", APIToken: "t", BaseURL: DefaultBaseURL}
	for _, tt := range []struct {
		name      string
		share     float64
		env       string
		wantLimit int
		wantErr   string
	}{
		{"default half", 0, "", 600, ""},
		{"config share", 0.25, "0.9", 300, ""},
		{"env fraction", 0, "0.1", 120, ""},
		{"env percent", 0, "80%", 960, ""},
		{"env all", 0, "100%", 1200, ""},
		{"env zero", 0, "0", 0, "above 0 and at most 1"},
		{"env over", 0, "150%", 0, "above 0 and at most 1"},
		{"env junk", 0, "half", 0, "not a fraction"},
		{"config over", 2, "", 0, "above 0 and at most 1"},
		{"harness default", 0, "", 0, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			if tt.name == "harness default" {
				c.BaseURL = "http://127.0.0.1:1/client/v4/"
			}
			c.APIShare, c.Getenv = tt.share, env(tt.env)
			got, err := c.resolve()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantLimit == 0 {
				if got.Governor != nil {
					t.Errorf("another base URL without a share is governed")
				}
				return
			}
			if got.Governor.Limit() != tt.wantLimit || got.Governor.Window() != APIWindow {
				t.Errorf("governor %d per %s, want %d per 5m", got.Governor.Limit(), got.Governor.Window(), tt.wantLimit)
			}
			if got.Governor != SharedGovernor(got.APIShare) {
				t.Error("the governor is not the process's shared one")
			}
		})
	}
}

// TestRateLimitedError: a call that gives up on HTTP 429 says that the
// block is account-wide for 5 minutes and how to avoid it.
func TestRateLimitedError(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.h.SetFault(t, cftest.Fault{Account: f.acct, Status: 429, Count: DefaultMaxAttempts, RetryAfter: intp(0)})
	_, err := f.s.D1().Query(context.Background(), backend.Stmt{SQL: "SELECT 1"})
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.Op != "d1 query" {
		t.Fatalf("err = %#v, want a *RateLimitError for d1 query", err)
	}
	for _, want := range []string{"d1 query: giving up after 4 attempts", "HTTP 429", "for 5 minutes", "gateway", EnvAPIShare} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 {
		t.Errorf("error does not unwrap to the API error")
	}
}

// TestGovernorUnderHarnessLimit runs bursts of D1 queries against the
// harness's imitation of Cloudflare's global limit: without a governor a
// burst goes over and the account is blocked (HTTP 429 until the calls give
// up with ErrRateLimited); with a governor a little under the limit every
// query succeeds, some after waiting, and the harness refuses nothing. The
// windows are chosen so that neither outcome depends on the machine's
// speed: the ungoverned burst has a minute to go over, and the governed
// one runs 8 queries at a time, so its window fills long before it ends.
func TestGovernorUnderHarnessLimit(t *testing.T) {
	t.Parallel()
	const limit, burst = 20, 40
	ctx := context.Background()
	query := func(f *fixture, i int) error {
		_, err := f.s.D1().Query(ctx, backend.Stmt{SQL: "SELECT ?", Args: []any{int64(i)}})
		return err
	}

	f := newFixture(t)
	f.s.cfg.Governor = nil
	f.h.SetLimit(t, cftest.Limit{Account: f.acct, Limit: limit, Window: time.Minute, Block: time.Minute})
	var err error
	for i := 0; i < burst && err == nil; i++ {
		err = query(f, i)
	}
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("ungoverned burst: err = %v, want ErrRateLimited", err)
	}
	if n := f.h.LimitRefused(t, f.acct); n == 0 {
		t.Errorf("ungoverned burst: the harness refused nothing")
	}

	// The governor keeps to 8 per window, well under the harness's 20:
	// requests it starts on time may reach the harness late on a loaded
	// machine, and bunch there with the next window's.
	window := 1500 * time.Millisecond
	gov := NewGovernor(8, window)
	f = newFixture(t)
	f.s.cfg.Governor = gov
	f.h.SetLimit(t, cftest.Limit{Account: f.acct, Limit: limit, Window: window, Block: 3 * window})
	errs := make(chan error, burst)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < burst; i += 8 {
				if err := query(f, i); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("governed burst: %v", err)
	}
	if n := f.h.LimitRefused(t, f.acct); n != 0 {
		t.Errorf("governed burst: the harness refused %d requests", n)
	}
	if n, _ := gov.Waits(); n == 0 {
		t.Errorf("governed burst: the governor never waited")
	}
}

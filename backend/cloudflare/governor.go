package cloudflare

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Cloudflare's global API rate limit: 1,200 requests per 5 minutes per
// user, shared by every token and tool of that user. Going over it blocks
// every API call of the user for 5 minutes (HTTP 429).
const (
	APILimit  = 1200
	APIWindow = 5 * time.Minute
)

// DefaultAPIShare is the share of APILimit one process keeps to when
// neither Config.APIShare nor DMPLAN_CLOUDFLARE_API_SHARE sets another: half,
// which leaves the other half to wrangler, dashboards, CI and other
// dmplan processes of the same user.
const DefaultAPIShare = 0.5

// EnvAPIShare is the environment variable read when Config.APIShare is 0:
// a fraction ("0.25") or a percentage ("25%") of APILimit, above 0 and at
// most 1 (100%).
const EnvAPIShare = "DMPLAN_CLOUDFLARE_API_SHARE"

// ErrRateLimited is matched (errors.Is) by errors of calls that ended on
// Cloudflare's HTTP 429.
var ErrRateLimited = errors.New("cloudflare: API rate limit reached")

// Governor keeps the requests of everything that shares it under a limit
// per sliding window: at most Limit requests start in any span of Window.
// It is a sliding-window log, which is the token bucket whose bucket is the
// whole window's budget with no burst on top: a plain token bucket of
// capacity B refilled at B per window would let 2B through in a window
// (a full bucket, then its refill), over Cloudflare's limit. A request
// that finds the window full waits until its oldest request leaves it.
//
// Every Store of a process with the same limits shares one Governor
// (SharedGovernor), so several stores, or a runtime and dmplan's own
// calls, count together. A Governor is safe for concurrent use.
type Governor struct {
	limit  int
	window time.Duration

	mu    sync.Mutex
	times []time.Time // ring of the last limit start times
	next  int
	full  bool
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	waits  atomic.Int64
	waited atomic.Int64 // nanoseconds
}

// NewGovernor returns a governor that lets at most limit requests start
// per window. It panics when limit < 1 or window <= 0.
func NewGovernor(limit int, window time.Duration) *Governor {
	if limit < 1 || window <= 0 {
		panic(fmt.Sprintf("cloudflare: NewGovernor(%d, %s): want limit >= 1 and window > 0", limit, window))
	}
	return &Governor{limit: limit, window: window, times: make([]time.Time, limit), now: time.Now, sleep: sleepCtx}
}

// Limit returns the requests allowed per Window.
func (g *Governor) Limit() int { return g.limit }

// Window returns the governor's window.
func (g *Governor) Window() time.Duration { return g.window }

// Wait reserves the start of one request, waiting until it fits in the
// window. It returns how long it waited, or ctx's error when ctx ends first
// (the reserved slot is then left unused, which only errs on the safe
// side).
func (g *Governor) Wait(ctx context.Context) (time.Duration, error) {
	g.mu.Lock()
	now := g.now()
	at := now
	if g.full {
		if free := g.times[g.next].Add(g.window); free.After(at) {
			at = free
		}
	}
	g.times[g.next] = at
	g.next++
	if g.next == g.limit {
		g.next, g.full = 0, true
	}
	g.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return 0, ctx.Err()
	}
	g.waits.Add(1)
	g.waited.Add(int64(d))
	return d, g.sleep(ctx, d)
}

// Waits returns how many requests had to wait, and for how long in all.
func (g *Governor) Waits() (int64, time.Duration) {
	return g.waits.Load(), time.Duration(g.waited.Load())
}

var governors struct {
	sync.Mutex
	m map[int]*Governor
}

// SharedGovernor returns the process's governor for the share (0 < share
// <= 1) of APILimit per APIWindow, the same one for every caller asking
// for the same number of requests.
func SharedGovernor(share float64) *Governor {
	n := shareLimit(share)
	governors.Lock()
	defer governors.Unlock()
	if governors.m == nil {
		governors.m = map[int]*Governor{}
	}
	g := governors.m[n]
	if g == nil {
		g = NewGovernor(n, APIWindow)
		governors.m[n] = g
	}
	return g
}

func shareLimit(share float64) int {
	n := int(math.Floor(share * APILimit))
	if n < 1 {
		n = 1
	}
	return n
}

// parseShare reads a share: "0.25", "25%"; 0 < share <= 1.
func parseShare(s string) (float64, error) {
	s = strings.TrimSpace(s)
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, "%")), 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not a fraction (0.5) or a percentage (50%%)", EnvAPIShare, s)
	}
	if pct {
		v /= 100
	}
	if !(v > 0 && v <= 1) {
		return 0, fmt.Errorf("%s=%q: the share must be above 0 and at most 1 (100%%)", EnvAPIShare, s)
	}
	return v, nil
}

// RateLimitError is a call that ended on Cloudflare's HTTP 429. Its text
// says what the block means and how to stay clear of it.
type RateLimitError struct {
	Op string
	// Share is the share of the limit this process kept to.
	Share float64
	Err   error
}

func (e *RateLimitError) Error() string {
	kept := fmt.Sprintf("This process kept to %.0f%% of the limit (%s), so other clients of the same user used the rest", e.Share*100, EnvAPIShare)
	if e.Share == 0 {
		kept = fmt.Sprintf("This process had no budget of its own (set %s to keep it to a share)", EnvAPIShare)
	}
	return fmt.Sprintf("%s: %v: Cloudflare's API allows %d requests per 5 minutes per user, for all of that user's tokens and tools together, "+
		"and once they are exceeded it refuses every API call of the user for 5 minutes. %s. Wait 5 minutes; serve Go services "+
		"through the gateway Worker (a gateway block in the environment, see the README's \"Go services in production\") instead of "+
		"the REST API, and lower %s for operator jobs that run beside them",
		e.Op, e.Err, APILimit, kept, EnvAPIShare)
}

func (e *RateLimitError) Unwrap() []error { return []error{e.Err, ErrRateLimited} }

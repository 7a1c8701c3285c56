package cloudflare

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/dmplan/dmplan/backend"
)

// safety says whether a call may be replayed after an ambiguous failure.
type safety int

const (
	// unsafe calls are replayed only when they provably did not run (HTTP
	// 429, dial error).
	unsafe safety = iota
	// idempotent calls are also replayed after 5xx, dropped connections and
	// attempt timeouts.
	idempotent
	// idempotentWrite calls are replayed like idempotent ones, but change
	// data: when the retries run out after an attempt that may have run,
	// the error wraps backend.ErrOutcomeUnknown.
	idempotentWrite
)

type idempotentKey struct{}

// WithIdempotent marks the D1 statements run with ctx as safe to replay, so
// Query and Batch retry them after a 5xx or a dropped connection. Use it for
// statements whose second run changes nothing: DDL with IF NOT EXISTS,
// upserts of fixed values, deletes by key. backend.WithIdempotent (what
// backend.RunOps uses for ops marked Idempotent) counts too.
func WithIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

func isMarkedIdempotent(ctx context.Context) bool {
	v, _ := ctx.Value(idempotentKey{}).(bool)
	return v || backend.IsMarkedIdempotent(ctx)
}

// backoff is the wait before retry n (0-based) when the server gave no
// Retry-After.
func backoff(n int) time.Duration {
	d := 250 * time.Millisecond << n
	if d > 4*time.Second {
		d = 4 * time.Second
	}
	return d
}

// call runs fn with a per-attempt timeout and retries it per the package's
// retry rules. op names the call in errors ("kv get"). Its error never
// holds the account id (see hideAccount).
func (s *Store) call(ctx context.Context, op string, sf safety, fn func(ctx context.Context) error) error {
	return s.hideAccount(s.attempts(ctx, op, sf, fn))
}

func (s *Store) attempts(ctx context.Context, op string, sf safety, fn func(ctx context.Context) error) error {
	var waited time.Duration
	mayHaveRun := false // an earlier attempt of a write failed after it may have run
	for attempt := 1; ; attempt++ {
		if g := s.cfg.Governor; g != nil {
			if w, err := g.Wait(ctx); err != nil {
				return s.unknownIf(mayHaveRun, fmt.Errorf("%s: waiting for the API budget: %w", op, err))
			} else if w > 0 {
				s.cfg.Logger.Debug("cloudflare governor wait", "op", op, "wait", w, "limit", g.Limit(), "window", g.Window())
			}
		}
		sent := ctx.Err() == nil // the attempt may reach Cloudflare
		actx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
		err := fn(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			if sf != idempotent && sent && unanswered(err) {
				// A write cancelled (or past its deadline) while in
				// flight: Cloudflare may have run it.
				e := fmt.Errorf("%s: cancelled while in flight, the write may or may not have been applied: %w", op, ctx.Err())
				return &outcomeUnknown{msg: e.Error(), err: e}
			}
			return s.unknownIf(mayHaveRun, fmt.Errorf("%s: %w", op, ctx.Err()))
		}
		retry, wait := s.retryable(err, sf, attempt)
		if !retry {
			return s.unknownIf(mayHaveRun, s.finalError(op, err, sf, attempt))
		}
		mayHaveRun = mayHaveRun || (sf == idempotentWrite && ambiguous(err))
		if attempt >= s.cfg.MaxAttempts {
			return s.unknownIf(mayHaveRun, s.rateLimited(op, fmt.Errorf("giving up after %d attempts: %w", attempt, describe(err))))
		}
		if waited+wait > s.cfg.MaxRetryWait {
			return s.unknownIf(mayHaveRun, s.rateLimited(op, fmt.Errorf("giving up: next retry in %s would exceed the %s retry budget: %w",
				wait, s.cfg.MaxRetryWait, describe(err))))
		}
		s.cfg.Logger.Warn("cloudflare retry", "op", op, "attempt", attempt, "wait", wait, "err", s.hideAccount(describe(err)))
		if err := s.sleep(ctx, wait); err != nil {
			return s.unknownIf(mayHaveRun, fmt.Errorf("%s: %w", op, err))
		}
		waited += wait
	}
}

// outcomeUnknown is the error of a write that may have run: its text is
// the failure's, and it unwraps to backend.ErrOutcomeUnknown and the
// failure.
type outcomeUnknown struct {
	msg string
	err error
}

func (e *outcomeUnknown) Error() string   { return e.msg }
func (e *outcomeUnknown) Unwrap() []error { return []error{backend.ErrOutcomeUnknown, e.err} }

// unknownIf marks err as a write's of unknown outcome when an attempt may
// have run.
func (s *Store) unknownIf(mayHaveRun bool, err error) error {
	if !mayHaveRun || errors.Is(err, backend.ErrOutcomeUnknown) {
		return err
	}
	return &outcomeUnknown{msg: err.Error() + " (an earlier attempt may have run: the write may or may not have been applied)", err: err}
}

// rateLimited adds op to err, and when err ended on HTTP 429 makes it a
// *RateLimitError explaining Cloudflare's 5-minute block.
func (s *Store) rateLimited(op string, err error) error {
	if statusOf(err) == http.StatusTooManyRequests {
		share := 0.0
		if s.cfg.Governor != nil {
			share = float64(s.cfg.Governor.Limit()) / APILimit
		}
		return &RateLimitError{Op: op, Share: share, Err: err}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// retryable decides whether err may be retried and how long to wait first.
func (s *Store) retryable(err error, sf safety, attempt int) (bool, time.Duration) {
	var apiErr *apiError
	if errors.As(err, &apiErr) {
		switch {
		case apiErr.StatusCode == http.StatusTooManyRequests:
		case sf != unsafe && (apiErr.StatusCode == http.StatusRequestTimeout || apiErr.StatusCode >= 500):
		default:
			return false, 0
		}
		if d, ok := retryAfter(apiErr.Response); ok {
			return true, d
		}
		return true, backoff(attempt - 1)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true, backoff(attempt - 1)
	}
	if sf != unsafe && isTransport(err) {
		return true, backoff(attempt - 1)
	}
	return false, 0
}

// isTransport reports whether err is a failure to get a response (reset,
// EOF, attempt timeout) rather than an API answer or a local error.
func isTransport(err error) bool {
	var apiErr *apiError
	if errors.As(err, &apiErr) {
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, errUnexpectedEOF) || isEOF(err)
}

// retryAfter reads Retry-After-Ms or Retry-After (seconds or an HTTP date).
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	if v := resp.Header.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := time.Until(t)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// ambiguous reports whether a failed attempt may have run: a 5xx, a 408,
// or no answer at all (a 429 or a dial error means it did not).
func ambiguous(err error) bool {
	var apiErr *apiError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode >= 500 || apiErr.StatusCode == http.StatusRequestTimeout
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return false
	}
	return isTransport(err)
}

// unanswered reports whether a failed attempt may have run without its
// answer being read: anything but an API answer that says it did not (4xx
// other than 408) or a failure to connect.
func unanswered(err error) bool {
	var apiErr *apiError
	if errors.As(err, &apiErr) {
		return ambiguous(err)
	}
	var opErr *net.OpError
	return !errors.As(err, &opErr) || opErr.Op != "dial"
}

// finalError wraps a failure that is not retried. For an unsafe call that
// failed after it may have run, it says so and wraps
// backend.ErrOutcomeUnknown.
func (s *Store) finalError(op string, err error, sf safety, attempt int) error {
	if sf == unsafe && ambiguous(err) {
		e := fmt.Errorf("%s: not retried because it is not idempotent; it may or may not have been applied: %w", op, describe(err))
		return &outcomeUnknown{msg: e.Error(), err: e}
	}
	if attempt > 1 {
		return fmt.Errorf("%s (attempt %d): %w", op, attempt, describe(err))
	}
	return fmt.Errorf("%s: %w", op, describe(err))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

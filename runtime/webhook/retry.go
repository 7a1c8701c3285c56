package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxResponseDrain bounds how much of a response body is read (and thrown
// away) so the connection can be reused.
const maxResponseDrain = 64 << 10

// outcome is the result of one attempt.
type outcome struct {
	status     int           // 0 when no response arrived
	err        string        // a loggable description of a network error
	retry      bool          // worth another attempt
	retryAfter time.Duration // from a Retry-After header; -1 when absent
}

func (o outcome) ok() bool { return o.status >= 200 && o.status < 300 }

// deliver posts j, retrying as configured, and logs the result.
func (s *Sender) deliver(j *job) {
	start := s.now()
	for attempt := 1; ; attempt++ {
		if s.ctx.Err() != nil {
			s.logger.Error("webhook delivery abandoned: sender closed before it was sent", append(j.attrs(), "attempts", attempt-1)...)
			return
		}
		o := s.attempt(j)
		if !o.ok() && s.ctx.Err() != nil {
			s.logger.Error("webhook delivery abandoned: sender closed during an attempt", append(j.attrs(), "attempts", attempt)...)
			return
		}
		if o.ok() {
			s.logger.Debug("webhook delivered", append(j.attrs(), "status", o.status, "attempts", attempt, "duration", s.now().Sub(start))...)
			return
		}
		attrs := append(j.attrs(), "attempt", attempt)
		if o.status != 0 {
			attrs = append(attrs, "status", o.status)
		}
		if o.err != "" {
			attrs = append(attrs, "error", o.err)
		}
		if !o.retry || attempt > s.retries {
			reason := "webhook delivery failed"
			if o.retry {
				reason = "webhook delivery failed: retries exhausted"
			}
			s.logger.Error(reason, attrs...)
			return
		}
		wait := s.backoffFor(attempt, o.retryAfter)
		s.logger.Warn("webhook attempt failed; retrying", append(attrs, "retry_in", wait)...)
		if err := s.wait(s.ctx, wait); err != nil {
			s.logger.Error("webhook delivery abandoned: sender closed while waiting to retry", append(j.attrs(), "attempts", attempt)...)
			return
		}
	}
}

// backoffFor returns the wait before retry number n (1-based): the server's
// Retry-After when it sent one, otherwise backoff * 2^(n-1) with jitter;
// both capped at maxBackoff.
func (s *Sender) backoffFor(n int, retryAfter time.Duration) time.Duration {
	if retryAfter >= 0 {
		return min(retryAfter, s.maxBackoff)
	}
	d := s.backoff
	for i := 1; i < n && d < s.maxBackoff; i++ {
		d *= 2
	}
	return s.jitter(min(d, s.maxBackoff))
}

// attempt posts j once within the per-attempt timeout.
func (s *Sender) attempt(j *job) outcome {
	ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.url, bytes.NewReader(j.body))
	if err != nil {
		// The URL was validated by prepare; this cannot leak it.
		return outcome{err: errBadURL.Error(), retryAfter: -1}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderEvent, j.event)
	req.Header.Set(HeaderDelivery, j.id)
	if j.secret != "" {
		ts := strconv.FormatInt(s.now().Unix(), 10)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, Sign(j.secret, ts, j.body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return outcome{err: describe(err, j, s.timeout), retry: true, retryAfter: -1}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseDrain))
	_ = resp.Body.Close()
	o := outcome{status: resp.StatusCode, retryAfter: -1}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		o.retry = true
		o.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), s.now())
	}
	return o
}

// parseRetryAfter reads delay-seconds or an HTTP date; -1 when absent or
// unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return -1
		}
		if n > int64(24*time.Hour/time.Second) {
			n = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return -1
}

// describe turns a client error into a log message without the URL: for a
// sensitive URL only the kind of failure, otherwise the underlying error
// with any full URL replaced by scheme and host.
func describe(err error, j *job, timeout time.Duration) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timed out after " + timeout.String()
	case j.sensitive:
		return kind(err)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if j.url != "" {
		msg = strings.ReplaceAll(msg, j.url, j.redacted)
	}
	if u, perr := url.Parse(j.url); perr == nil && u.RawQuery != "" {
		msg = strings.ReplaceAll(msg, u.RawQuery, "[query]")
	}
	return msg
}

// kind names the class of a network error without any address.
func kind(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	switch {
	case errors.As(err, &dnsErr):
		return "host name lookup failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection reset"
	case errors.As(err, &certErr), errors.As(err, &recErr):
		return "tls handshake failed"
	}
	return "network error"
}

package backendtest

import (
	"context"
	"io"
	"net/http"
	"sync"
)

// CancelInFlight is an http.RoundTripper for the tests of a backend that
// speaks HTTP. It forwards each request to Next (http.DefaultTransport when
// nil); once armed, it lets the next request reach the server and run,
// then cancels the caller's context and, when that reaches the request,
// drops the answer: a caller giving up while its request is in flight.
type CancelInFlight struct {
	Next http.RoundTripper

	mu     sync.Mutex
	cancel context.CancelFunc
}

// Arm makes the next request call cancel once it has run.
func (c *CancelInFlight) Arm(cancel context.CancelFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancel = cancel
}

// RoundTrip implements http.RoundTripper.
func (c *CancelInFlight) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	cancel := c.cancel
	c.cancel = nil
	c.mu.Unlock()
	next := c.Next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(r)
	if cancel == nil {
		return resp, err
	}
	cancel()
	if err != nil || r.Context().Err() == nil {
		// A request whose context the caller's cancellation does not
		// reach gets its answer.
		return resp, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil, r.Context().Err()
}

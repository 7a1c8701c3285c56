package cloudflare

import (
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// countingTransport counts every HTTP request sent (retries included) and
// logs it at debug level. It never logs headers, so the token stays out.
type countingTransport struct {
	next  http.RoundTripper
	count *atomic.Int64
	log   *slog.Logger
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.count.Add(1)
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	t.log.Debug("cloudflare request", "method", req.Method, "path", req.URL.Path,
		"status", status, "duration", time.Since(start), "err", err)
	return resp, err
}

// wrapClient returns a copy of c whose transport counts requests.
func wrapClient(c *http.Client, count *atomic.Int64, log *slog.Logger) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	}
	next := cp.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	cp.Transport = &countingTransport{next: next, count: count, log: log}
	return &cp
}

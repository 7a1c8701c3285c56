package cloudflare

import (
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// countingTransport counts every HTTP request sent (retries included) and
// logs it at debug level. It never logs headers, so the token stays out,
// and writes the account id in paths and errors as AccountPlaceholder.
type countingTransport struct {
	next    http.RoundTripper
	count   *atomic.Int64
	log     *slog.Logger
	account string
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.count.Add(1)
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	if t.log.Enabled(req.Context(), slog.LevelDebug) {
		var errText any
		if err != nil {
			errText = t.hide(err.Error())
		}
		t.log.Debug("cloudflare request", "method", req.Method, "path", t.hide(req.URL.Path),
			"status", status, "duration", time.Since(start), "err", errText)
	}
	return resp, err
}

func (t *countingTransport) hide(s string) string {
	if t.account == "" {
		return s
	}
	return strings.ReplaceAll(s, t.account, AccountPlaceholder)
}

// wrapClient returns a copy of c whose transport counts requests.
func wrapClient(c *http.Client, count *atomic.Int64, log *slog.Logger, account string) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	}
	next := cp.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	cp.Transport = &countingTransport{next: next, count: count, log: log, account: account}
	return &cp
}

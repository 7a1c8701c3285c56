package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuffer captures JSON log lines; safe for concurrent writers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns every record as a map (msg, level and the attributes).
func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// find returns the records whose message starts with prefix.
func (b *logBuffer) find(t *testing.T, prefix string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range b.lines(t) {
		if msg, _ := m["msg"].(string); strings.HasPrefix(msg, prefix) {
			out = append(out, m)
		}
	}
	return out
}

func newTestLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// request is what a test server received.
type request struct {
	Header http.Header
	Body   []byte
}

// recorder is a test server answering each request with the next status of
// a script (the last one repeats) and recording every request in order.
type recorder struct {
	srv      *httptest.Server
	mu       sync.Mutex
	reqs     []request
	statuses []int
	headers  map[string]string // added to every answer
}

func newRecorder(t *testing.T, statuses ...int) *recorder {
	t.Helper()
	r := &recorder{statuses: statuses}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, request{Header: req.Header.Clone(), Body: body})
		status := http.StatusOK
		if n := len(r.statuses); n > 0 {
			status = r.statuses[min(len(r.reqs), n)-1]
		}
		for k, v := range r.headers {
			w.Header().Set(k, v)
		}
		r.mu.Unlock()
		if status >= 300 && status < 400 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

// fastSender returns a Sender with millisecond backoffs and a test logger.
func fastSender(t *testing.T, opts ...Option) (*Sender, *logBuffer) {
	t.Helper()
	logger, logs := newTestLogger()
	s := NewSender(append([]Option{WithLogger(logger), WithBackoff(time.Millisecond, 4*time.Millisecond)}, opts...)...)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s, logs
}

// closeSender drains s, which makes every delivery's outcome observable.
func closeSender(t *testing.T, s *Sender) {
	t.Helper()
	if err := s.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

func TestSendPayloadAndHeaders(t *testing.T) {
	rec := newRecorder(t)
	s, _ := fastSender(t)
	occurred := time.Date(2026, 11, 27, 16, 50, 8, 123456789, time.FixedZone("CEST", 2*3600))
	ok := s.Send(Delivery{
		URL:        rec.srv.URL + "/hooks",
		Secret:     "whsec_test",
		Event:      "page.completed",
		Model:      "PAGE",
		RecordID:   "pg_1",
		Data:       map[string]any{"page_id": "pg_1", "n": int64(3)},
		Changes:    map[string]any{"status": "completed"},
		OccurredAt: occurred,
	})
	if !ok {
		t.Fatal("Send: not queued")
	}
	s.Send(Delivery{URL: rec.srv.URL, Event: "page.unsigned", Model: "PAGE", RecordID: "pg_2"})
	closeSender(t, s)

	reqs := rec.requests()
	if len(reqs) != 2 {
		t.Fatalf("server got %d requests, want 2", len(reqs))
	}
	var signed, unsigned request
	for _, r := range reqs {
		if r.Header.Get(HeaderEvent) == "page.completed" {
			signed = r
		} else {
			unsigned = r
		}
	}

	var got map[string]any
	if err := json.Unmarshal(signed.Body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"event":       "page.completed",
		"model":       "PAGE",
		"id":          "pg_1",
		"data":        map[string]any{"page_id": "pg_1", "n": 3.0},
		"changes":     map[string]any{"status": "completed"},
		"occurred_at": "2026-11-27T14:50:08.123Z",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("payload (-want +got):\n%s", d)
	}
	for h, want := range map[string]string{
		"Content-Type": "application/json",
		"User-Agent":   "dmplan-webhook/1",
		HeaderEvent:    "page.completed",
	} {
		if got := signed.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if _, err := uuid.Parse(signed.Header.Get(HeaderDelivery)); err != nil {
		t.Errorf("%s = %q: %v", HeaderDelivery, signed.Header.Get(HeaderDelivery), err)
	}
	ts, sig := signed.Header.Get(HeaderTimestamp), signed.Header.Get(HeaderSignature)
	if err := Verify("whsec_test", ts, string(signed.Body), sig, DefaultTolerance); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := Verify("other", ts, string(signed.Body), sig, DefaultTolerance); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("Verify with the wrong secret = %v, want ErrInvalidSignature", err)
	}

	if unsigned.Header.Get(HeaderSignature) != "" || unsigned.Header.Get(HeaderTimestamp) != "" {
		t.Errorf("unsigned delivery has signature headers: %v", unsigned.Header)
	}
	var u map[string]any
	if err := json.Unmarshal(unsigned.Body, &u); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]any{}, u["changes"]); d != "" {
		t.Errorf("nil changes are sent as {} (-want +got):\n%s", d)
	}
}

func TestSendRetries(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int
		retries   int
		attempts  int
		delivered bool
		final     string // message of the last log record about the delivery
	}{
		{"200", []int{200}, 3, 1, true, "webhook delivered"},
		{"500 then 200", []int{500, 200}, 3, 2, true, "webhook delivered"},
		{"429 then 204", []int{429, 204}, 3, 2, true, "webhook delivered"},
		{"503 until retries run out", []int{503}, 2, 3, false, "webhook delivery failed: retries exhausted"},
		{"400 is not retried", []int{400}, 3, 1, false, "webhook delivery failed"},
		{"404 is not retried", []int{404}, 3, 1, false, "webhook delivery failed"},
		{"redirect is not followed", []int{302}, 3, 1, false, "webhook delivery failed"},
		{"no retries", []int{500, 200}, 0, 1, false, "webhook delivery failed: retries exhausted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, tt.statuses...)
			s, logs := fastSender(t, WithRetries(tt.retries))
			s.Send(Delivery{URL: rec.srv.URL, Event: "page.completed", Model: "PAGE", RecordID: "pg_1"})
			closeSender(t, s)

			reqs := rec.requests()
			if len(reqs) != tt.attempts {
				t.Fatalf("attempts = %d, want %d", len(reqs), tt.attempts)
			}
			ids := map[string]bool{}
			for _, r := range reqs {
				ids[r.Header.Get(HeaderDelivery)] = true
			}
			if len(ids) != 1 {
				t.Errorf("delivery ids across attempts = %v, want one", ids)
			}
			lines := logs.lines(t)
			last := lines[len(lines)-1]
			if last["msg"] != tt.final {
				t.Errorf("last log = %v, want %q", last, tt.final)
			}
			if tt.delivered != (last["level"] == "DEBUG") {
				t.Errorf("last log level = %v, delivered = %v", last["level"], tt.delivered)
			}
			if got := len(logs.find(t, "webhook attempt failed; retrying")); got != tt.attempts-1 {
				t.Errorf("retry logs = %d, want %d", got, tt.attempts-1)
			}
		})
	}
}

func TestSendTimeoutIsRetriedThenFails(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // lets the server notice the client leaving
		select {                  // block until the client gives up on the attempt
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	s, logs := fastSender(t, WithTimeout(5*time.Millisecond), WithRetries(2))
	s.Send(Delivery{URL: srv.URL, Event: "page.completed", Model: "PAGE", RecordID: "pg_1"})
	closeSender(t, s)

	// Counted on the client side: an attempt can time out before the
	// server sees it.
	var got []string
	for _, l := range logs.lines(t) {
		got = append(got, fmt.Sprintf("%v %v attempt=%v error=%v", l["level"], l["msg"], l["attempt"], l["error"]))
	}
	want := []string{
		"WARN webhook attempt failed; retrying attempt=1 error=timed out after 5ms",
		"WARN webhook attempt failed; retrying attempt=2 error=timed out after 5ms",
		"ERROR webhook delivery failed: retries exhausted attempt=3 error=timed out after 5ms",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("logs (-want +got):\n%s", d)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		status     int
		retryAfter string
		want       []time.Duration
	}{
		{"seconds", 429, "2", []time.Duration{2 * time.Second, 2 * time.Second}},
		{"capped", 503, "3600", []time.Duration{5 * time.Second, 5 * time.Second}},
		{"http date", 429, now.Add(3 * time.Second).Format(http.TimeFormat), []time.Duration{3 * time.Second, 3 * time.Second}},
		{"date in the past", 503, now.Add(-time.Hour).Format(http.TimeFormat), []time.Duration{0, 0}},
		{"unreadable falls back to backoff", 500, "soon", []time.Duration{time.Second, 2 * time.Second}},
		{"absent: exponential backoff", 500, "", []time.Duration{time.Second, 2 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, tt.status, tt.status, 200)
			if tt.retryAfter != "" {
				rec.headers = map[string]string{"Retry-After": tt.retryAfter}
			}
			s, _ := fastSender(t, WithBackoff(time.Second, 5*time.Second))
			var waits []time.Duration // only the worker appends; read after Close
			s.wait = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			s.jitter = func(d time.Duration) time.Duration { return d }
			s.now = func() time.Time { return now }
			s.Send(Delivery{URL: rec.srv.URL, Event: "e", Model: "M", RecordID: "1"})
			closeSender(t, s)
			if d := cmp.Diff(tt.want, waits); d != "" {
				t.Errorf("waits (-want +got):\n%s", d)
			}
			if n := len(rec.requests()); n != 3 {
				t.Errorf("attempts = %d, want 3", n)
			}
		})
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	s := NewSender(WithBackoff(100*time.Millisecond, time.Second))
	defer s.Close(context.Background())
	s.jitter = func(d time.Duration) time.Duration { return d }
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, s.backoffFor(n, -1))
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("backoff (-want +got):\n%s", d)
	}
	for range 1000 {
		if j := equalJitter(time.Second); j < 500*time.Millisecond || j > time.Second {
			t.Fatalf("equalJitter(1s) = %v, want within [500ms, 1s]", j)
		}
	}
}

func TestSendQueueFullDropsAndLogs(t *testing.T) {
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p Payload
		_ = json.NewDecoder(r.Body).Decode(&p)
		mu.Lock()
		got = append(got, p.ID)
		mu.Unlock()
		select {
		case started <- struct{}{}:
		default:
		}
		<-release
	}))
	t.Cleanup(srv.Close)

	s, logs := fastSender(t, WithWorkers(1), WithQueueSize(1))
	send := func(id string) bool {
		return s.Send(Delivery{URL: srv.URL, Event: "page.completed", Model: "PAGE", RecordID: id})
	}
	if !send("a") {
		t.Fatal("a: not queued")
	}
	<-started // the only worker is busy with a
	if !send("b") {
		t.Fatal("b: not queued")
	}
	if send("c") {
		t.Fatal("c: queued into a full queue")
	}
	dropped := logs.find(t, "webhook delivery dropped: queue is full")
	if len(dropped) != 1 || dropped[0]["id"] != "c" || dropped[0]["level"] != "ERROR" {
		t.Errorf("drop logs = %v", dropped)
	}
	close(release)
	closeSender(t, s)
	mu.Lock()
	defer mu.Unlock()
	if d := cmp.Diff([]string{"a", "b"}, got); d != "" {
		t.Errorf("delivered (-want +got):\n%s", d)
	}
}

func TestCloseDrainsQueue(t *testing.T) {
	rec := newRecorder(t, 500, 200)
	s, logs := fastSender(t, WithWorkers(3))
	const n = 40
	for i := range n {
		if !s.Send(Delivery{URL: rec.srv.URL, Event: "e", Model: "M", RecordID: fmt.Sprint(i)}) {
			t.Fatalf("delivery %d not queued", i)
		}
	}
	closeSender(t, s)
	seen := map[string]bool{}
	for _, r := range rec.requests() {
		var p Payload
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatal(err)
		}
		seen[p.ID] = true
	}
	if len(seen) != n {
		t.Errorf("distinct deliveries received = %d, want %d", len(seen), n)
	}
	if got := len(logs.find(t, "webhook delivered")); got != n {
		t.Errorf("delivered logs = %d, want %d", got, n)
	}

	if s.Send(Delivery{URL: rec.srv.URL, Event: "e", Model: "M", RecordID: "late"}) {
		t.Error("Send after Close queued a delivery")
	}
	if len(logs.find(t, "webhook delivery dropped: sender is closed")) != 1 {
		t.Errorf("no drop log after Close:\n%s", logs)
	}
	closeSender(t, s) // a second Close is harmless
}

func TestCloseWithExpiredContextAbandons(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // lets the server notice the client leaving
		close(started)
		select { // never answers on its own
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	s, logs := fastSender(t, WithWorkers(1))
	s.Send(Delivery{URL: srv.URL, Event: "e", Model: "M", RecordID: "1"})
	s.Send(Delivery{URL: srv.URL, Event: "e", Model: "M", RecordID: "2"})
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close = %v, want context.Canceled", err)
	}
	var ids []any
	for _, l := range logs.find(t, "webhook delivery abandoned") {
		ids = append(ids, l["id"])
	}
	if d := cmp.Diff([]any{"1", "2"}, ids); d != "" {
		t.Errorf("abandoned (-want +got):\n%s", d)
	}
}

func TestSendDropsInvalidDeliveries(t *testing.T) {
	tests := []struct {
		name string
		d    Delivery
		want string
	}{
		{"unparsable url", Delivery{URL: "://hooks.example.com/s3cr3t-path"}, errBadURL.Error()},
		{"ftp url", Delivery{URL: "ftp://hooks.example.com/s3cr3t-path"}, errBadURL.Error()},
		{"relative url", Delivery{URL: "/s3cr3t-path"}, errBadURL.Error()},
		{"empty url", Delivery{}, errBadURL.Error()},
		{"data not encodable", Delivery{URL: "https://hooks.example.com/s3cr3t-path", Data: map[string]any{"f": func() {}}},
			"encode webhook payload: json: unsupported type: func()"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, logs := fastSender(t)
			if s.Send(tt.d) {
				t.Fatal("queued")
			}
			got := logs.find(t, "webhook delivery dropped")
			if len(got) != 1 || got[0]["error"] != tt.want {
				t.Errorf("logs = %v, want one with error %q", got, tt.want)
			}
			if strings.Contains(logs.String(), "s3cr3t-path") {
				t.Errorf("log holds the URL:\n%s", logs)
			}
		})
	}
}

func TestFailureLogsHideURLSecretAndBody(t *testing.T) {
	// A server that always fails, at a URL whose path and query are secret.
	failing := newRecorder(t, 500)
	// A server that is gone: connection refused.
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()

	tests := []struct {
		name      string
		url       string
		sensitive bool
		wantURL   string // the url attribute of the log lines
		wantErr   string // the error attribute of the final line, "" for none
	}{
		{"status failure", failing.srv.URL + "/T0KEN-path?key=Q5ECRET", false, failing.srv.URL, ""},
		{"sensitive status failure", failing.srv.URL + "/T0KEN-path?key=Q5ECRET", true, "[sensitive]", ""},
		{"sensitive connection refused", gone.URL + "/T0KEN-path?key=Q5ECRET", true, "[sensitive]", "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, logs := fastSender(t, WithRetries(1))
			s.Send(Delivery{URL: tt.url, SensitiveURL: tt.sensitive, Secret: "whsec_NEVER",
				Event: "e", Model: "M", RecordID: "1", Data: map[string]any{"note": "B0DY-DATA"}})
			closeSender(t, s)
			out := logs.String()
			for _, secret := range []string{"T0KEN-path", "Q5ECRET", "whsec_NEVER", "B0DY-DATA"} {
				if strings.Contains(out, secret) {
					t.Errorf("logs hold %q:\n%s", secret, out)
				}
			}
			if u, _ := url.Parse(tt.url); tt.sensitive && strings.Contains(out, u.Host) {
				t.Errorf("logs hold the host of a sensitive URL:\n%s", out)
			}
			lines := logs.lines(t)
			last := lines[len(lines)-1]
			if last["url"] != tt.wantURL || last["level"] != "ERROR" {
				t.Errorf("last log = %v, want url %q at ERROR", last, tt.wantURL)
			}
			if tt.wantErr != "" && last["error"] != tt.wantErr {
				t.Errorf("error = %v, want %q", last["error"], tt.wantErr)
			}
		})
	}
}

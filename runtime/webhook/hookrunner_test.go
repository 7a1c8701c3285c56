package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
	"github.com/google/go-cmp/cmp"
)

const pageHooksHCL = `
model "PAGE" {
  primary_key = "page_id"
  field "project_id" {
    type     = string
    required = true
  }
  field "url" {
    type     = string
    required = true
  }
  field "status" {
    type       = string
    default    = "pending"
    validation = ["pending", "processing", "completed", "failed"]
  }
  d1 {
    sync_fields = ["project_id", "url", "status"]
  }

  hook "after_create" {
    log { message = "page ${self.page_id} created" }
  }
  hook "after_update" {
    when = changes.status == "completed"
    webhook {
      url    = env.PAGE_WEBHOOK_URL
      event  = "page.completed"
      secret = env.PAGE_WEBHOOK_SECRET
      body   = { page_id = self.page_id, project_id = self.project_id, url = self.url }
    }
  }
}
`

// TestDatastoreRunsHCLHooks saves records through a real Datastore on the
// local backend with the Runner plugged in: the save succeeds whether or
// not the receiver does, and the webhook arrives signed.
func TestDatastoreRunsHCLHooks(t *testing.T) {
	const secret = "whsec_Integration_S3CRET"
	tests := []struct {
		name     string
		status   int // the receiver's answer, every time
		attempts int
		logged   string
	}{
		{"receiver up", http.StatusOK, 1, "webhook delivered"},
		{"receiver down", http.StatusInternalServerError, 2, "webhook delivery failed: retries exhausted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			var mu sync.Mutex
			var reqs []*http.Request
			var bodies [][]byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				reqs, bodies = append(reqs, r), append(bodies, b)
				mu.Unlock()
				w.WriteHeader(tt.status)
			}))
			t.Cleanup(srv.Close)
			env := map[string]string{"PAGE_WEBHOOK_URL": srv.URL + "/hooks/page", "PAGE_WEBHOOK_SECRET": secret}
			getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

			spec, diags := hclspec.LoadSources("nimbus", map[string][]byte{"page.dm.hcl": []byte(pageHooksHCL)})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			store, err := local.Open(ctx, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close() })
			live, err := backend.Inspect(ctx, store.D1(), store.KV())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := applier.Apply(ctx, store, planner.Diff(spec, "local", live), applier.Options{}); err != nil {
				t.Fatal(err)
			}

			logger, logs := newTestLogger()
			sender := NewSender(WithLogger(logger), WithRetries(1), WithBackoff(1, 1))
			runner := NewRunner(spec, sender, getenv, logger)
			ds, err := runtime.Open(ctx, spec, store, runtime.WithLogger(logger), runtime.WithHookRunner(runner))
			if err != nil {
				t.Fatal(err)
			}

			page := ds.Auth("user_1").New("PAGE")
			page.SetAll(map[string]any{"project_id": "proj_1", "url": "https://example.com/a"})
			if err := page.Save(ctx); err != nil {
				t.Fatalf("create: %v", err)
			}
			for _, status := range []string{"processing", "completed"} {
				page.Set("status", status)
				if err := page.Save(ctx); err != nil {
					t.Fatalf("update to %s: %v", status, err)
				}
			}
			if err := sender.Close(ctx); err != nil {
				t.Fatal(err)
			}

			mu.Lock()
			defer mu.Unlock()
			if len(reqs) != tt.attempts {
				t.Fatalf("attempts = %d, want %d", len(reqs), tt.attempts)
			}
			r, body := reqs[0], bodies[0]
			if err := Verify(secret, r.Header.Get(HeaderTimestamp), string(body), r.Header.Get(HeaderSignature), DefaultTolerance); err != nil {
				t.Errorf("Verify: %v", err)
			}
			var p Payload
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			want := Payload{
				Event:      "page.completed",
				Model:      "PAGE",
				ID:         page.ID(),
				Data:       map[string]any{"page_id": page.ID(), "project_id": "proj_1", "url": "https://example.com/a"},
				Changes:    map[string]any{"status": "completed"},
				OccurredAt: p.OccurredAt,
			}
			if d := cmp.Diff(want, p); d != "" {
				t.Errorf("payload (-want +got):\n%s", d)
			}
			out := logs.String()
			for _, s := range []string{`"msg":"page ` + page.ID() + ` created"`, `"msg":"` + tt.logged + `"`} {
				if !strings.Contains(out, s) {
					t.Errorf("logs lack %s:\n%s", s, out)
				}
			}
			for _, s := range []string{secret, "/hooks/page", strings.TrimPrefix(srv.URL, "http://")} {
				if strings.Contains(out, s) {
					t.Errorf("logs hold %q:\n%s", s, out)
				}
			}
		})
	}
}

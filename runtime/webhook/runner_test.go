package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
	"github.com/google/go-cmp/cmp"
)

// pageModel is the model every runner test declares its hooks in; the
// hooks start on line 10 of page.dm.hcl.
const pageModel = `model "PAGE" {
  field "project_id" { type = string }
  field "url" { type = string }
  field "title" { type = string }
  field "status" {
    type    = string
    default = "pending"
  }
  field "views" { type = integer }
%s
}
`

// loadHooks loads the PAGE model with the hook blocks given.
func loadHooks(t *testing.T, hooks string) *hclspec.Spec {
	t.Helper()
	spec, diags := hclspec.LoadSources("test", map[string][]byte{"page.dm.hcl": fmt.Appendf(nil, pageModel, hooks)})
	// validate refuses env in a log message or an event name, but the
	// runner guards against them too (a Spec may be built otherwise):
	// those diagnostics are let through so the guard can be tested.
	var rest hcl.Diagnostics
	for _, d := range diags {
		if !strings.HasPrefix(d.Summary, "Sensitive value in ") {
			rest = append(rest, d)
		}
	}
	if rest.HasErrors() {
		t.Fatalf("load hooks: %v", rest)
	}
	return spec
}

// hookLogs returns the runner's log lines (those naming a hook) as
// "LEVEL message [error]".
func hookLogs(t *testing.T, logs *logBuffer) []string {
	t.Helper()
	var out []string
	for _, l := range logs.lines(t) {
		if _, ok := l["hook"]; !ok {
			continue
		}
		s := fmt.Sprintf("%v %v @%v", l["level"], l["msg"], l["hook"])
		if e, ok := l["error"]; ok {
			s += " [" + fmt.Sprint(e) + "]"
		}
		out = append(out, s)
	}
	return out
}

func TestRunnerHooks(t *testing.T) {
	self := map[string]any{
		"page_id": "pg_1", "project_id": "proj_1", "url": "https://example.com/a",
		"title": "Hello", "status": "completed", "views": int64(3), "_auth": []any{"user_1"},
	}
	selfBody := map[string]any{
		"page_id": "pg_1", "project_id": "proj_1", "url": "https://example.com/a",
		"title": "Hello", "status": "completed", "views": 3.0,
	}
	tests := []struct {
		name    string
		hooks   string
		event   string
		changes map[string]any
		events  []string          // X-Dmplan-Event of the deliveries
		data    []any             // their payload data
		logs    []string          // hookLogs
		env     map[string]string // besides HOOK_URL
	}{
		{
			name: "when true",
			hooks: `  hook "after_update" {
    when = changes.status == "completed"
    webhook {
      url   = env.HOOK_URL
      event = "page.completed"
      body  = { page_id = self.page_id, url = self.url, views = self.views + 1 }
    }
  }`,
			changes: map[string]any{"status": "completed"},
			events:  []string{"page.completed"},
			data:    []any{map[string]any{"page_id": "pg_1", "url": "https://example.com/a", "views": 4.0}},
		},
		{
			name: "when false",
			hooks: `  hook "after_update" {
    when = changes.status == "completed"
    webhook { url = env.HOOK_URL }
  }`,
			changes: map[string]any{"status": "processing"},
		},
		{
			name: "changed field missing from changes",
			hooks: `  hook "after_update" {
    when = changes.status == "completed"
    webhook { url = env.HOOK_URL }
  }`,
			changes: map[string]any{"title": "New title"},
		},
		{
			name: "null condition is false",
			hooks: `  hook "after_update" {
    when = changes.views
    webhook { url = env.HOOK_URL }
  }`,
			changes: map[string]any{"title": "New title"},
		},
		{
			name: "no condition: default event and body",
			hooks: `  hook "after_update" {
    webhook { url = env.HOOK_URL }
  }`,
			changes: map[string]any{"title": "Hello"},
			events:  []string{"page.after_update"},
			data:    []any{selfBody},
		},
		{
			name: "other event",
			hooks: `  hook "after_create" {
    webhook { url = env.HOOK_URL }
  }`,
			changes: map[string]any{"status": "completed"},
		},
		{
			name: "log action and order",
			hooks: `  hook "after_update" {
    when = changes.status != null
    log {
      message = "page ${self.page_id} is ${changes.status}"
      level   = "warn"
    }
    webhook {
      url   = env.HOOK_URL
      event = "first"
    }
  }
  hook "after_update" {
    log { message = "second hook, ${self.views} views" }
    webhook {
      url   = env.HOOK_URL
      event = "second"
    }
  }`,
			changes: map[string]any{"status": "completed"},
			events:  []string{"first", "second"},
			data:    []any{selfBody, selfBody},
			logs: []string{
				"WARN page pg_1 is completed @page.dm.hcl:10",
				"INFO second hook, 3 views @page.dm.hcl:21",
			},
		},
		{
			name: "before event",
			hooks: `  hook "before_delete" {
    log {
      message = "deleting ${self.page_id}"
      level   = "debug"
    }
  }`,
			event: "before_delete",
			logs:  []string{"DEBUG deleting pg_1 @page.dm.hcl:10"},
		},
		{
			name: "sensitive log message is refused",
			hooks: `  hook "after_update" {
    log { message = "token ${env.HOOK_TOKEN}" }
  }`,
			env:  map[string]string{"HOOK_TOKEN": "tok_SECRET_1"},
			logs: []string{"ERROR hook log action refused @page.dm.hcl:10 [the message is derived from a sensitive value (env.*) and is never logged]"},
		},
		{
			name: "evaluation error is logged, not raised",
			hooks: `  hook "after_update" {
    when = self.views > "many"
    webhook { url = env.HOOK_URL }
  }`,
			changes: map[string]any{"status": "completed"},
			logs:    []string{"ERROR hook when: evaluation error @page.dm.hcl:10 [page.dm.hcl:11,25: Invalid operand]"},
		},
		{
			name: "condition that is not a boolean",
			hooks: `  hook "after_update" {
    when = self.title
    webhook { url = env.HOOK_URL }
  }`,
			logs: []string{"ERROR hook when: evaluation error @page.dm.hcl:10 [a boolean is required]"},
		},
		{
			name: "unset environment variable",
			hooks: `  hook "after_update" {
    webhook { url = env.NOT_SET_URL }
  }`,
			logs: []string{"ERROR hook skipped: environment variable not set @page.dm.hcl:10 [NOT_SET_URL]"},
		},
		{
			name: "url that is not http",
			hooks: `  hook "after_update" {
    webhook { url = "ftp://${self.title}.example.com/" }
  }`,
			logs: []string{"ERROR hook webhook skipped @page.dm.hcl:10 [webhook: url must be an absolute http or https URL]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			env := map[string]string{"HOOK_URL": rec.srv.URL + "/hook"}
			for k, v := range tt.env {
				env[k] = v
			}
			getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			logger, logs := newTestLogger()
			sender := NewSender(WithLogger(logger), WithBackoff(1, 1), WithWorkers(1)) // one worker: arrival order is send order
			spec := loadHooks(t, tt.hooks)
			r := NewRunner(spec, sender, getenv, logger)
			event := tt.event
			if event == "" {
				event = hclspec.AfterUpdate
			}
			r.Run(context.Background(), spec.Model("PAGE"), event, "pg_1", self, tt.changes)
			closeSender(t, sender)

			var events []string
			var data []any
			for _, req := range rec.requests() {
				events = append(events, req.Header.Get(HeaderEvent))
				var p Payload
				if err := json.Unmarshal(req.Body, &p); err != nil {
					t.Fatal(err)
				}
				if p.Model != "PAGE" || p.ID != "pg_1" {
					t.Errorf("payload model, id = %q, %q", p.Model, p.ID)
				}
				data = append(data, p.Data)
			}
			if d := cmp.Diff(tt.events, events); d != "" {
				t.Errorf("delivered events (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.data, data); d != "" {
				t.Errorf("delivered data (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.logs, hookLogs(t, logs)); d != "" {
				t.Errorf("hook logs (-want +got):\n%s", d)
			}
			for _, v := range tt.env {
				if strings.Contains(logs.String(), v) {
					t.Errorf("logs hold an env value:\n%s", logs)
				}
			}
		})
	}
}

func TestRunnerKeepsSecretsOutOfLogs(t *testing.T) {
	const secret = "Whsec_S3CRET_Value"
	rec := newRecorder(t, 500, 503, 200)
	hookURL := rec.srv.URL + "/T0KEN-path?sig=Q5ECRET"
	env := map[string]string{"HOOK_URL": hookURL, "HOOK_SECRET": secret}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	spec := loadHooks(t, `  hook "after_update" {
    when = changes.status == "completed"
    webhook {
      url    = env.HOOK_URL
      secret = env.HOOK_SECRET
      body   = { page_id = self.page_id, echo = lower(env.HOOK_SECRET) }
    }
  }
  hook "after_update" {
    log { message = "secret is ${env.HOOK_SECRET}" }
  }
  hook "after_update" {
    when = self[lower(env.HOOK_SECRET)] == 1
    log { message = "never logged" }
  }
  hook "after_update" {
    webhook {
      url   = env.HOOK_URL
      event = env.HOOK_SECRET
    }
  }`)
	logger, logs := newTestLogger()
	sender := NewSender(WithLogger(logger), WithBackoff(1, 1))
	r := NewRunner(spec, sender, getenv, logger)
	r.Run(context.Background(), spec.Model("PAGE"), hclspec.AfterUpdate, "pg_1",
		map[string]any{"page_id": "pg_1", "status": "completed"}, map[string]any{"status": "completed"})
	closeSender(t, sender)

	reqs := rec.requests()
	if len(reqs) != 3 {
		t.Fatalf("attempts = %d, want 3 (500, 503, 200)", len(reqs))
	}
	last := reqs[2]
	if err := Verify(secret, last.Header.Get(HeaderTimestamp), string(last.Body), last.Header.Get(HeaderSignature), DefaultTolerance); err != nil {
		t.Errorf("Verify: %v", err)
	}
	var p Payload
	if err := json.Unmarshal(last.Body, &p); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]any{"page_id": "pg_1", "echo": strings.ToLower(secret)}, p.Data); d != "" {
		t.Errorf("body (-want +got):\n%s", d)
	}

	want := []string{
		"ERROR hook log action refused @page.dm.hcl:18 [the message is derived from a sensitive value (env.*) and is never logged]",
		"ERROR hook when: evaluation error @page.dm.hcl:21 [page.dm.hcl:22,16: Invalid index]",
		"ERROR hook webhook refused @page.dm.hcl:25 [the event name is derived from a sensitive value (env.*); event names are sent in headers and logged]",
	}
	if d := cmp.Diff(want, hookLogs(t, logs)); d != "" {
		t.Errorf("hook logs (-want +got):\n%s", d)
	}
	delivered := logs.find(t, "webhook delivered")
	if len(delivered) != 1 || delivered[0]["url"] != "[sensitive]" || delivered[0]["attempts"] != 3.0 {
		t.Errorf("delivered logs = %v", delivered)
	}
	u, _ := url.Parse(hookURL)
	out := logs.String()
	for _, s := range []string{secret, strings.ToLower(secret), "T0KEN-path", "Q5ECRET", u.Host} {
		if strings.Contains(out, s) {
			t.Errorf("logs hold %q:\n%s", s, out)
		}
	}
}

func TestRunnerWithoutSenderOrModel(t *testing.T) {
	spec := loadHooks(t, `  hook "after_update" {
    webhook { url = "https://hooks.example.com/x" }
  }`)
	logger, logs := newTestLogger()
	r := NewRunner(spec, nil, nil, logger)
	r.Run(context.Background(), nil, hclspec.AfterUpdate, "pg_1", nil, nil)
	r.Run(context.Background(), spec.Model("PAGE"), hclspec.AfterUpdate, "pg_1", nil, nil)
	want := []string{"ERROR hook webhook not sent @page.dm.hcl:10 [the runner has no sender]"}
	if d := cmp.Diff(want, hookLogs(t, logs)); d != "" {
		t.Errorf("hook logs (-want +got):\n%s", d)
	}
}

func TestRunHookUnknownModel(t *testing.T) {
	spec := loadHooks(t, `  hook "after_update" {
    log { message = "x" }
  }`)
	logger, logs := newTestLogger()
	r := NewRunner(spec, nil, nil, logger)
	if err := r.RunHook(context.Background(), &runtime.Event{Model: "GHOST", Name: hclspec.AfterUpdate, ID: "g_1"}); err != nil {
		t.Fatalf("RunHook = %v, want nil", err)
	}
	if err := r.RunHook(context.Background(), nil); err != nil {
		t.Fatalf("RunHook(nil) = %v, want nil", err)
	}
	got := logs.find(t, "hooks skipped: model is not in the runner's spec")
	if len(got) != 1 || got[0]["model"] != "GHOST" {
		t.Errorf("logs = %v", got)
	}
}

func TestRunnerConcurrentUse(t *testing.T) {
	rec := newRecorder(t)
	spec := loadHooks(t, `  hook "after_update" {
    when = changes.views != null
    webhook {
      url  = env.HOOK_URL
      body = { views = changes.views }
    }
  }`)
	env := func(k string) (string, bool) { return rec.srv.URL, k == "HOOK_URL" }
	logger, logs := newTestLogger()
	sender := NewSender(WithLogger(logger))
	r := NewRunner(spec, sender, env, logger)
	const goroutines, each = 8, 25
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				r.Run(context.Background(), spec.Model("PAGE"), hclspec.AfterUpdate, fmt.Sprint(g),
					map[string]any{"views": i}, map[string]any{"views": g*each + i})
			}
		})
	}
	wg.Wait()
	closeSender(t, sender)
	seen := map[float64]bool{}
	for _, req := range rec.requests() {
		var p Payload
		if err := json.Unmarshal(req.Body, &p); err != nil {
			t.Fatal(err)
		}
		seen[p.Data.(map[string]any)["views"].(float64)] = true
	}
	if len(seen) != goroutines*each {
		t.Errorf("distinct deliveries = %d, want %d", len(seen), goroutines*each)
	}
	if n := len(logs.find(t, "webhook delivered")); n != goroutines*each {
		t.Errorf("delivered logs = %d, want %d", n, goroutines*each)
	}
}

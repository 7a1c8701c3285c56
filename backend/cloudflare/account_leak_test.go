package cloudflare

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

// lockedBuffer is a log sink several goroutines write.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAccountIDNeverInErrorsOrLogs runs the runtime, the applier and
// reconcile on the harness with debug logs (the backend's own included)
// while faults of every kind are injected, and checks that the account id
// appears in no error and no log line.
func TestAccountIDNeverInErrorsOrLogs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := cftest.Shared(t)
	acct := h.NewAccount(t)
	h.NewDatabase(t, acct, "leak")
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	waits := &sleepLog{}
	s, err := Open(ctx, Config{AccountID: acct, APIToken: h.Token, Database: "leak", BaseURL: h.BaseURL,
		Getenv: noEnv, Environment: "test", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	s.sleep = waits.sleep
	spec, diags := hclspec.LoadSources("rt", map[string][]byte{"rt.dm.hcl": []byte(retrySpec)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	live, err := backend.Inspect(ctx, s.D1(), s.KV())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := applier.Apply(ctx, s, planner.Diff(spec, "test", live), applier.Options{Logger: log}); err != nil {
		t.Fatal(err)
	}
	ds, err := runtime.Open(ctx, spec, s, runtime.WithEnvironment("test"), runtime.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	sys := ds.System()
	rec, err := sys.Create(ctx, "NOTE", map[string]any{"title": "first"})
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]func() error{
		"create": func() error {
			_, err := sys.Create(ctx, "NOTE", map[string]any{"title": "x"})
			return err
		},
		"get": func() error {
			_, err := sys.Get(ctx, "NOTE", rec.ID())
			return err
		},
		"save": func() error {
			rec.Set("title", fmt.Sprint(len(logs.String())))
			return rec.Save(ctx)
		},
		"query": func() error {
			_, err := sys.Query("NOTE").Where("title", "x").List(ctx)
			return err
		},
		"create many": func() error {
			_, err := sys.CreateMany(ctx, "NOTE", []map[string]any{{"title": "a"}, {"title": "b"}})
			return err
		},
		"raw insert": func() error {
			_, err := s.D1().Query(ctx, backend.Stmt{SQL: "INSERT INTO note (note_id, title) VALUES (?, 'raw')", Args: []any{fmt.Sprint(len(logs.String()))}})
			return err
		},
		"kv list": func() error {
			_, err := s.KV().Namespaces(ctx)
			return err
		},
		"reconcile": func() error {
			_, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{Fix: true})
			return err
		},
		"bookmark": func() error {
			_, err := s.Bookmark(ctx)
			return err
		},
	}
	faults := []cftest.Fault{
		{Status: 500, Count: 1}, {Status: 503, Count: 4}, {Status: 502, Count: 1, Skip: 1},
		{Drop: true, Count: 1}, {Drop: true, Count: 1, After: true}, {Drop: true, Count: 4},
		{Status: 429, Count: 4, RetryAfter: intp(1)},
	}
	errs := 0
	var leaked []string
	for _, f := range faults {
		for name, op := range ops {
			f.Account = acct
			h.SetFault(t, f)
			err := op()
			if err == nil {
				continue
			}
			errs++
			if strings.Contains(err.Error(), acct) {
				f.Account = ""
				leaked = append(leaked, fmt.Sprintf("%s with %+v: %v", name, f, err))
			}
		}
	}
	t.Logf("%d failed operations", errs)
	for _, l := range leaked {
		t.Errorf("error names the account: %s", l)
	}
	if errs == 0 {
		t.Error("no operation failed: the faults did not apply")
	}
	// The logs did describe the requests and the failures, with the
	// placeholder where the account was.
	for _, want := range []string{`msg="cloudflare request"`, "/accounts/" + AccountPlaceholder + "/", `msg="cloudflare retry"`, "outcome=failed"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s", want)
		}
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, acct) {
			t.Errorf("log line names the account: %s", line)
		}
	}
}

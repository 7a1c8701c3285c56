package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

// trace records hook calls in order.
type trace struct {
	mu    sync.Mutex
	calls []string
}

func (tr *trace) hook(label string, err error) runtime.HookFunc {
	return func(_ context.Context, ev *runtime.Event) error {
		tr.mu.Lock()
		tr.calls = append(tr.calls, label+":"+ev.Name)
		tr.mu.Unlock()
		return err
	}
}

func (tr *trace) take() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	out := tr.calls
	tr.calls = nil
	return out
}

func TestHookOrder(t *testing.T) {
	tr := &trace{}
	e := setup(t,
		runtime.WithHook("PAGE", hclspec.BeforeCreate, tr.hook("1", nil)),
		runtime.WithHook("PAGE", hclspec.AfterCreate, tr.hook("1", nil)),
		runtime.WithHook("", hclspec.BeforeCreate, tr.hook("all", nil)),
		runtime.WithMiddleware("PAGE", func(next runtime.WriteFunc) runtime.WriteFunc {
			return func(ctx context.Context, ev *runtime.Event) error {
				tr.hook("mw-in", nil)(ctx, &runtime.Event{Name: ev.Op.String()})
				err := next(ctx, ev)
				tr.hook("mw-out", nil)(ctx, &runtime.Event{Name: ev.Op.String()})
				return err
			}
		}),
	)
	for _, ev := range []string{hclspec.BeforeCreate, hclspec.AfterCreate, hclspec.BeforeUpdate, hclspec.AfterUpdate, hclspec.BeforeDelete, hclspec.AfterDelete} {
		if err := e.ds.Hook("PAGE", ev, tr.hook("2", nil)); err != nil {
			t.Fatal(err)
		}
	}
	u := e.ds.Auth("u1")
	r, err := u.Create(e.ctx, "PAGE", newPage("p"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"mw-in:create", "1:before_create", "all:before_create", "2:before_create", "1:after_create", "2:after_create", "mw-out:create"}
	if d := cmp.Diff(want, tr.take()); d != "" {
		t.Errorf("create (-want +got):\n%s", d)
	}
	e.clock.Advance(time.Second)
	r.Set("title", "x")
	if err := r.Save(e.ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"mw-in:update", "2:before_update", "2:after_update", "mw-out:update"}, tr.take()); d != "" {
		t.Errorf("update (-want +got):\n%s", d)
	}
	if row := e.d1Row(t, "page_meta", "page_id", r.ID()); row["updated_at"] != "2026-11-27T14:50:09.123Z" || row["title"] != "x" {
		t.Errorf("update with hooks: D1 row %v", row)
	}
	if err := r.Delete(e.ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"mw-in:delete", "2:before_delete", "2:after_delete", "mw-out:delete"}, tr.take()); d != "" {
		t.Errorf("delete (-want +got):\n%s", d)
	}
	if err := r.Restore(e.ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"mw-in:update", "2:before_update", "2:after_update", "mw-out:update"}, tr.take()); d != "" {
		t.Errorf("restore (-want +got):\n%s", d)
	}
}

func TestBeforeCreateChangesData(t *testing.T) {
	e := setup(t, runtime.WithHook("PAGE", hclspec.BeforeCreate, func(_ context.Context, ev *runtime.Event) error {
		ev.Data["title"] = strings.ToUpper(ev.Data["title"].(string))
		ev.Data["user_id"] = "intruder" // re-checked: refused
		return nil
	}))
	_, err := e.ds.Auth("u1").Create(e.ctx, "PAGE", newPage("p"))
	if !errors.Is(err, runtime.ErrForbidden) {
		t.Fatalf("hook changing the owner: %v", err)
	}
	e2 := setup(t, runtime.WithHook("PAGE", hclspec.BeforeCreate, func(_ context.Context, ev *runtime.Event) error {
		ev.Data["title"] = strings.ToUpper(ev.Data["title"].(string))
		return nil
	}))
	r, err := e2.ds.Auth("u1").Create(e2.ctx, "PAGE", map[string]any{"project_id": "p", "url": "https://e.com", "title": "loud"})
	if err != nil {
		t.Fatal(err)
	}
	if row := e2.d1Row(t, "page_meta", "page_id", r.ID()); row["title"] != "LOUD" {
		t.Errorf("D1 title = %v", row["title"])
	}
	e3 := setup(t, runtime.WithHook("PAGE", hclspec.BeforeCreate, func(_ context.Context, ev *runtime.Event) error {
		ev.Data["status"] = "bogus"
		return nil
	}))
	if _, err := e3.ds.Auth("u1").Create(e3.ctx, "PAGE", newPage("p")); !errors.Is(err, runtime.ErrInvalid) {
		t.Errorf("hook making the record invalid: %v", err)
	}
}

func TestBeforeHooksRejectAndWriteNothing(t *testing.T) {
	veto := errors.New("not today")
	for _, event := range []string{hclspec.BeforeCreate, hclspec.BeforeUpdate, hclspec.BeforeDelete} {
		t.Run(event, func(t *testing.T) {
			e, fb := setupFault(t)
			u := e.ds.Auth("u1")
			r, err := u.Create(e.ctx, "PAGE", newPage("p"))
			if err != nil {
				t.Fatal(err)
			}
			if err := e.ds.Hook("PAGE", event, func(context.Context, *runtime.Event) error { return veto }); err != nil {
				t.Fatal(err)
			}
			puts, queries := fb.kv.puts, fb.d1.queries
			switch event {
			case hclspec.BeforeCreate:
				_, err = u.Create(e.ctx, "PAGE", newPage("p"))
			case hclspec.BeforeUpdate:
				r.Set("title", "changed")
				err = r.Save(e.ctx)
			case hclspec.BeforeDelete:
				err = r.Delete(e.ctx)
			}
			if !errors.Is(err, runtime.ErrRejected) || !errors.Is(err, veto) {
				t.Fatalf("err = %v, want ErrRejected wrapping the hook error", err)
			}
			if fb.kv.puts != puts || fb.d1.queries != queries {
				t.Errorf("rejected write reached the stores")
			}
			got, err := e.ds.System().Get(e.ctx, "PAGE", r.ID())
			if err != nil || got.Get("title") != "T" {
				t.Errorf("stored record changed: %v %v", got, err)
			}
		})
	}
}

func TestAfterHookErrorsAreLoggedNotReturned(t *testing.T) {
	var changes []map[string]any
	e := setup(t,
		runtime.WithHook("PAGE", hclspec.AfterCreate, func(context.Context, *runtime.Event) error { return errors.New("queue down") }),
		runtime.WithHook("PAGE", hclspec.AfterUpdate, func(_ context.Context, ev *runtime.Event) error {
			changes = append(changes, ev.Changes)
			panic("boom")
		}),
	)
	u := e.ds.Auth("u1")
	r, err := u.Create(e.ctx, "PAGE", newPage("p"))
	if err != nil {
		t.Fatalf("after_create error failed the create: %v", err)
	}
	r.Set("status", "completed")
	r.Set("title", "T") // unchanged: not in changes
	if err := r.Save(e.ctx); err != nil {
		t.Fatalf("after_update panic failed the update: %v", err)
	}
	if d := cmp.Diff([]map[string]any{{"status": "completed"}}, changes); d != "" {
		t.Errorf("after_update changes (-want +got):\n%s", d)
	}
	logs := e.logs.String()
	for _, want := range []string{"queue down", "hook panicked: boom", `"level":"ERROR"`, `"event":"after_update"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q", want)
		}
	}
}

func TestMiddlewareRejects(t *testing.T) {
	e := setup(t, runtime.WithMiddleware("", func(next runtime.WriteFunc) runtime.WriteFunc {
		return func(ctx context.Context, ev *runtime.Event) error {
			if ev.Data["title"] == "blocked" {
				return fmt.Errorf("title blocked")
			}
			if ev.Data["title"] == "skip" {
				return nil // never calls next
			}
			return next(ctx, ev)
		}
	}))
	u := e.ds.Auth("u1")
	for _, title := range []string{"blocked", "skip"} {
		p := newPage("p")
		p["title"] = title
		if _, err := u.Create(e.ctx, "PAGE", p); !errors.Is(err, runtime.ErrRejected) {
			t.Errorf("%s: err = %v", title, err)
		}
	}
	res, err := u.Query("PAGE").List(e.ctx)
	if err != nil || res.Pagination.Total != 0 {
		t.Errorf("rejected records were written: %v %v", res, err)
	}
}

// hclRunner stands in for the HCL hook runner of a later issue.
type hclRunner struct{ events []string }

func (r *hclRunner) RunHook(_ context.Context, ev *runtime.Event) error {
	r.events = append(r.events, ev.Model+"."+ev.Name)
	return nil
}

func TestHookRunnerRunsForDeclaredEvents(t *testing.T) {
	spec := loadSpec(t)
	spec.Model("PAGE").Hooks = []*hclspec.Hook{{Event: hclspec.AfterUpdate}, {Event: hclspec.AfterUpdate}}
	runner := &hclRunner{}
	e := setup(t)
	ds, err := runtime.Open(e.ctx, spec, e.store, runtime.WithHookRunner(runner))
	if err != nil {
		t.Fatal(err)
	}
	u := ds.Auth("u1")
	r, err := u.Create(e.ctx, "PAGE", newPage("p"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Update(e.ctx, "PAGE", r.ID(), map[string]any{"status": "completed"}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"PAGE.after_update"}, runner.events); d != "" {
		t.Errorf("runner calls (-want +got):\n%s", d)
	}
}

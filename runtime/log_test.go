package runtime_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/runtime"
)

func logLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestEveryOperationIsLogged(t *testing.T) {
	e := setup(t)
	u := e.ds.Auth("u1")
	r, err := u.Create(e.ctx, "PAGE", map[string]any{"project_id": "p", "url": "https://e.com", "title": "SECRET-TITLE"})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = u.Get(e.ctx, "PAGE", r.ID())
	_, _ = u.Get(e.ctx, "PAGE", "missing")
	_, _ = u.Update(e.ctx, "PAGE", r.ID(), map[string]any{"title": "SECRET-2"})
	_, _ = u.Query("PAGE").List(e.ctx)
	_ = u.Delete(e.ctx, "PAGE", r.ID())
	_ = u.Restore(e.ctx, "PAGE", r.ID())
	_, _ = u.CreateMany(e.ctx, "PAGE", []map[string]any{newPage("p")})
	_, err = u.Create(e.ctx, "PAGE", map[string]any{"project_id": "p", "url": "SECRET-URL"})
	if !errors.Is(err, runtime.ErrInvalid) {
		t.Fatal(err)
	}

	seen := map[string]string{}
	for _, l := range logLines(t, e.logs.String()) {
		msg := l["msg"].(string)
		if l["duration"] == nil || l["model"] != "PAGE" {
			t.Errorf("log line without duration or model: %v", l)
		}
		if l["level"] != "DEBUG" {
			for _, secret := range []string{"SECRET-TITLE", "SECRET-2", "SECRET-URL"} {
				if strings.Contains(strings.ToLower(jsonish2(l)), strings.ToLower(secret)) {
					t.Errorf("field value at %s: %v", l["level"], l)
				}
			}
		}
		if o, ok := l["outcome"].(string); ok {
			seen[msg+" "+o] = l["level"].(string)
		}
	}
	want := map[string]string{
		"runtime.save created":              "DEBUG",
		"runtime.get found":                 "DEBUG",
		"runtime.get not_found":             "DEBUG",
		"runtime.save updated":              "DEBUG",
		"runtime.query listed":              "DEBUG",
		"runtime.delete soft_deleted":       "DEBUG",
		"runtime.restore restored":          "DEBUG",
		"runtime.save_many saved 1 records": "DEBUG",
		"runtime.save invalid":              "WARN",
	}
	for k, level := range want {
		if seen[k] != level {
			t.Errorf("log %q at %q, want %s (seen %v)", k, seen[k], level, seen)
		}
	}
}

func jsonish2(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestQuietLoggerCostsNothing(t *testing.T) {
	e := setup(t)
	var buf strings.Builder
	ds, err := runtime.Open(e.ctx, e.spec, e.store, runtime.WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ds.Auth("u1").Create(e.ctx, "PAGE", newPage("p")); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("success logged above debug: %s", buf.String())
	}
}

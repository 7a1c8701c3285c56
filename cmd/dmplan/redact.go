package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
)

// redact rewords err so that no value the target read from env.X appears
// in it, whole or as the 8-character prefix some messages abbreviate ids
// to. Backends are asked never to include secrets; this makes sure.
func redact(err error, t *hclspec.Target) error {
	if err == nil {
		return nil
	}
	msg := redactText(err.Error(), t)
	if msg == err.Error() {
		return err
	}
	return &shownError{msg: msg, err: err}
}

// redactText is msg without the values the target read from env.X.
func redactText(msg string, t *hclspec.Target) string {
	if t == nil || len(t.Sensitive) == 0 {
		return msg
	}
	values := map[string]string{
		"path": t.Path, "account_id": t.AccountID, "database": t.Database,
		"api_token": t.APIToken, "base_url": t.BaseURL,
	}
	for name := range t.Sensitive {
		v := values[name]
		if v == "" {
			continue
		}
		msg = strings.ReplaceAll(msg, v, sensitive)
		if len(v) > 8 {
			msg = strings.ReplaceAll(msg, v[:8], sensitive)
		}
	}
	return msg
}

// redactHandler is the slog handler of the CLI's logger: it redacts, as
// redact does for errors, the message and every attribute of the runtime's,
// the applier's and the backend's log lines, with the target the command
// resolved (none yet: lines pass as they are).
type redactHandler struct {
	next slog.Handler
	c    *cli
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	t := h.c.target.Load()
	if t == nil || len(t.Sensitive) == 0 {
		return h.next.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, redactText(r.Message, t), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a, t))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	t := h.c.target.Load()
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = redactAttr(a, t)
	}
	return &redactHandler{next: h.next.WithAttrs(red), c: h.c}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{next: h.next.WithGroup(name), c: h.c}
}

// redactAttr redacts a string, an error or anything printed as text; other
// kinds (numbers, times, durations) cannot hold a secret.
func redactAttr(a slog.Attr, t *hclspec.Target) slog.Attr {
	if t == nil || len(t.Sensitive) == 0 {
		return a
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, redactText(v.String(), t))
	case slog.KindGroup:
		as := v.Group()
		red := make([]slog.Attr, len(as))
		for i, g := range as {
			red[i] = redactAttr(g, t)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
	case slog.KindAny:
		x := v.Any()
		if x == nil {
			return slog.Attr{Key: a.Key, Value: v}
		}
		var text string
		switch y := x.(type) {
		case error:
			text = y.Error()
		case fmt.Stringer:
			text = y.String()
		default:
			text = fmt.Sprint(y)
		}
		if red := redactText(text, t); red != text {
			return slog.String(a.Key, red)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

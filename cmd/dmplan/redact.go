package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
)

// redact rewords err so that no value the target read from env.X, and no
// Cloudflare account id wherever it came from, appears in it, whole or as
// the 8-character prefix some messages abbreviate ids to. Backends are
// asked never to include secrets; this makes sure.
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

// redactText is msg without the values the target read from env.X and
// without its account id: the account is shown as every view shows it
// (shownAccount), the other values as "(sensitive)".
func redactText(msg string, t *hclspec.Target) string {
	if !hidesAnything(t) {
		return msg
	}
	if id := t.AccountID; id != "" {
		shown := shownAccount(id)
		msg = strings.ReplaceAll(msg, id, shown)
		if len(id) > 8 {
			msg = strings.ReplaceAll(msg, id[:8], shown)
		}
	}
	values := map[string]string{
		"path": t.Path, "database": t.Database,
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

// hidesAnything reports whether redactText can change text for t: it has
// a value from env.X or an account id.
func hidesAnything(t *hclspec.Target) bool {
	return t != nil && (len(t.Sensitive) > 0 || t.AccountID != "")
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
	if !hidesAnything(t) {
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
	if !hidesAnything(t) {
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

package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// hookRun is one hook being run.
type hookRun struct {
	r        *Runner
	ctx      context.Context
	model    *hclspec.Model
	event    string
	id       string
	self     map[string]any
	changes  map[string]any
	hook     *hclspec.Hook
	info     *hookInfo
	occurred time.Time
	attrs    []any
	ectx     *hcl.EvalContext
	scrub    *strings.Replacer // hides env values in error text
}

// run evaluates the hook with self and changes in vars and runs its
// actions when its condition holds.
func (h *hookRun) run(vars map[string]cty.Value) {
	defer func() {
		if p := recover(); p != nil {
			h.fail("hook aborted: internal error", fmt.Sprint(p))
		}
	}()
	var pairs []string
	for _, n := range h.info.env {
		if v, ok := h.r.getenv(n); ok && v != "" {
			pairs = append(pairs, v, "[sensitive]")
		}
	}
	h.scrub = strings.NewReplacer(pairs...)
	var missing []string
	h.ectx, missing = hclspec.EvalContextFor(h.r.getenv, vars, h.info.exprs...)
	if len(missing) > 0 {
		h.fail("hook skipped: environment variable not set", strings.Join(missing, ", "))
		return
	}
	if ok := h.when(); !ok {
		return
	}
	if h.hook.Log != nil {
		h.log()
	}
	if h.hook.Webhook != nil {
		h.webhook()
	}
}

// fail logs a problem with the hook; detail is scrubbed of env values.
func (h *hookRun) fail(msg, detail string) {
	h.r.logger.ErrorContext(h.ctx, msg, append(h.attrs, "error", h.scrub.Replace(detail))...)
}

// eval evaluates e; on error it logs what was being evaluated and returns
// false. The value is returned marked as evaluated.
func (h *hookRun) eval(e hcl.Expression, what string) (cty.Value, bool) {
	v, diags := e.Value(h.ectx)
	if diags.HasErrors() {
		h.fail("hook "+what+": evaluation error", diagText(diags))
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		h.fail("hook "+what+": evaluation error", "value is not known")
		return cty.NilVal, false
	}
	return v, true
}

// evalString evaluates e to a string and reports whether it derives from
// env.X. Null is an error unless allowNull, when it is "".
func (h *hookRun) evalString(e hcl.Expression, what string, allowNull bool) (s string, sensitive, ok bool) {
	v, ok := h.eval(e, what)
	if !ok {
		return "", false, false
	}
	sensitive = hclspec.IsSensitive(v)
	v, _ = v.UnmarkDeep()
	if v.IsNull() && allowNull {
		return "", sensitive, true
	}
	s, err := asString(v)
	if err != nil {
		h.fail("hook "+what+": evaluation error", err.Error())
		return "", false, false
	}
	return s, sensitive, true
}

// when evaluates the condition: absent means true, null means false.
func (h *hookRun) when() bool {
	if h.hook.When == nil {
		return true
	}
	v, ok := h.eval(h.hook.When, "when")
	if !ok {
		return false
	}
	v, _ = v.UnmarkDeep()
	if v.IsNull() {
		return false
	}
	b, err := convert.Convert(v, cty.Bool)
	if err != nil || b.IsNull() {
		h.fail("hook when: evaluation error", "a boolean is required")
		return false
	}
	return b.True()
}

// log runs the log action. A message derived from env is refused.
func (h *hookRun) log() {
	a := h.hook.Log
	if a.Message == nil {
		h.fail("hook log action skipped", "message is missing")
		return
	}
	msg, sensitive, ok := h.evalString(a.Message, "log message", false)
	if !ok {
		return
	}
	if sensitive {
		h.fail("hook log action refused", "the message is derived from a sensitive value (env.*) and is never logged")
		return
	}
	level := slog.LevelInfo
	if a.Level != "" {
		if err := level.UnmarshalText([]byte(a.Level)); err != nil {
			h.fail("hook log action has an unknown level; logging at info", fmt.Sprintf("level %q: want debug, info, warn or error", a.Level))
			level = slog.LevelInfo
		}
	}
	h.r.logger.Log(h.ctx, level, msg, h.attrs...)
}

// webhook evaluates the webhook action and hands it to the sender.
func (h *hookRun) webhook() {
	w := h.hook.Webhook
	if w.URL == nil {
		h.fail("hook webhook skipped", "url is missing")
		return
	}
	url, sensitiveURL, ok := h.evalString(w.URL, "webhook url", false)
	if !ok {
		return
	}
	if _, err := parseURL(url); err != nil {
		h.fail("hook webhook skipped", err.Error())
		return
	}
	event := strings.ToLower(h.model.Name) + "." + h.event
	if w.Event != nil {
		var sensitive bool
		if event, sensitive, ok = h.evalString(w.Event, "webhook event", false); !ok {
			return
		}
		if sensitive {
			h.fail("hook webhook refused", "the event name is derived from a sensitive value (env.*); event names are sent in headers and logged")
			return
		}
	}
	var body any = h.defaultBody()
	if w.Body != nil {
		v, ok := h.eval(w.Body, "webhook body")
		if !ok {
			return
		}
		// Sensitive parts of the body are sent on purpose; the Sender
		// never logs bodies.
		v, _ = v.UnmarkDeep()
		var err error
		if body, err = hclspec.ToGo(v); err != nil {
			h.fail("hook webhook body: evaluation error", err.Error())
			return
		}
	}
	var secret string // empty: unsigned
	if w.Secret != nil {
		if secret, _, ok = h.evalString(w.Secret, "webhook secret", true); !ok {
			return
		}
	}
	if h.r.sender == nil {
		h.fail("hook webhook not sent", "the runner has no sender")
		return
	}
	h.r.sender.Send(Delivery{
		URL:          url,
		Secret:       secret,
		SensitiveURL: sensitiveURL,
		Event:        event,
		Model:        h.model.Name,
		RecordID:     h.id,
		Data:         body,
		Changes:      h.changes, // encoded by Send before it returns
		OccurredAt:   h.occurred,
	})
}

// defaultBody is the record without fields that never leave KV (_auth).
func (h *hookRun) defaultBody() map[string]any {
	out := make(map[string]any, len(h.self))
	for k, v := range h.self {
		if f := h.model.Field(k); f != nil && f.KVOnly {
			continue
		}
		out[k] = v
	}
	return out
}

// asString converts an unmarked value to a string.
func asString(v cty.Value) (string, error) {
	if v.IsNull() {
		return "", fmt.Errorf("a string is required, got null")
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		return "", fmt.Errorf("a string is required, got %s", v.Type().FriendlyName())
	}
	return s.AsString(), nil
}

// diagText renders error diagnostics on one line: position and summary.
// The detail is left out because it can quote values, and values may be
// sensitive (env.X) or record data, neither of which is logged.
func diagText(diags hcl.Diagnostics) string {
	var parts []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		s := d.Summary
		if d.Subject != nil {
			s = fmt.Sprintf("%s:%d,%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, s)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

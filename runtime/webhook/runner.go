package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Runner runs the hooks a Spec declares in HCL: for each hook of an event,
// in declaration order, it evaluates `when` over self, changes and env and,
// when true, runs the hook's log action and then its webhook action.
//
// HCL hooks only observe: they log and send webhooks, before or after a
// write. Changing data or rejecting a write (ErrRejected in package
// runtime) is for hooks registered in Go. Nothing a Runner does can fail
// or block the operation: every problem is logged at error level with the
// hook's file:line and Run returns normally.
//
// A Runner is safe for concurrent use.
type Runner struct {
	models map[string]*hclspec.Model // by name, for RunHook
	sender *Sender
	getenv func(string) (string, bool)
	logger *slog.Logger
	now    func() time.Time
	// prepared holds what can be computed once per hook of the Spec.
	prepared map[*hclspec.Hook]*hookInfo
}

// hookInfo is what Run needs of a hook besides its expressions' values.
type hookInfo struct {
	where string           // file:line of the hook block
	exprs []hcl.Expression // every expression of the hook
	env   []string         // the env.X names they reference
}

// NewRunner returns a Runner for the hooks of spec, delivering webhooks
// through sender. getenv resolves env.X (nil means os.LookupEnv); logger
// receives log actions and every error (nil means slog.Default()). A nil
// sender makes each webhook action an error log.
func NewRunner(spec *hclspec.Spec, sender *Sender, getenv func(string) (string, bool), logger *slog.Logger) *Runner {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	if logger == nil {
		logger = slog.Default()
	}
	r := &Runner{models: map[string]*hclspec.Model{}, sender: sender, getenv: getenv, logger: logger,
		now: time.Now, prepared: map[*hclspec.Hook]*hookInfo{}}
	if spec != nil {
		for _, m := range spec.Models {
			r.models[m.Name] = m
			for _, h := range m.Hooks {
				r.prepared[h] = newHookInfo(h)
			}
		}
	}
	return r
}

func newHookInfo(h *hclspec.Hook) *hookInfo {
	var exprs []hcl.Expression
	add := func(e hcl.Expression) {
		if e != nil {
			exprs = append(exprs, e)
		}
	}
	add(h.When)
	if h.Log != nil {
		add(h.Log.Message)
	}
	if w := h.Webhook; w != nil {
		add(w.URL)
		add(w.Event)
		add(w.Body)
		add(w.Secret)
	}
	return &hookInfo{
		where: fmt.Sprintf("%s:%d", h.DeclRange.Filename, h.DeclRange.Start.Line),
		exprs: exprs,
		env:   hclspec.EnvNames(exprs...),
	}
}

// Has reports whether model declares any hook for event, so a caller can
// skip building self and changes when there is nothing to run.
func (r *Runner) Has(model *hclspec.Model, event string) bool {
	if model == nil {
		return false
	}
	for _, h := range model.Hooks {
		if h != nil && h.Event == event {
			return true
		}
	}
	return false
}

// Run runs model's hooks for event ("after_update", see the hclspec event
// constants) on the record with id: self is the record as saved (or as
// about to be saved, for before events) and changes the changed fields
// with their new values. Neither map is modified or kept. Run returns when
// the hooks have been evaluated; their webhooks are sent in the background.
func (r *Runner) Run(ctx context.Context, model *hclspec.Model, event, id string, self, changes map[string]any) {
	if !r.Has(model, event) {
		return
	}
	base := []any{"model", model.Name, "event", event, "id", id}
	defer func() {
		if p := recover(); p != nil {
			r.logger.ErrorContext(ctx, "hooks aborted: internal error", append(base, "error", fmt.Sprint(p))...)
		}
	}()
	selfVal, err := model.ObjectValue(self)
	if err != nil {
		r.logger.ErrorContext(ctx, "hooks skipped: record has no HCL form", append(base, "error", "self: "+err.Error())...)
		return
	}
	changesVal, err := model.ObjectValue(changes)
	if err != nil {
		r.logger.ErrorContext(ctx, "hooks skipped: changes have no HCL form", append(base, "error", "changes: "+err.Error())...)
		return
	}
	occurred := r.now()
	vars := map[string]cty.Value{"self": selfVal, "changes": changesVal}
	for _, h := range model.Hooks {
		if h == nil || h.Event != event {
			continue
		}
		info := r.prepared[h]
		if info == nil {
			info = newHookInfo(h)
		}
		run := &hookRun{r: r, ctx: ctx, model: model, event: event, id: id, self: self, changes: changes,
			hook: h, info: info, occurred: occurred, attrs: append(base[:len(base):len(base)], "hook", info.where)}
		run.run(vars)
	}
}

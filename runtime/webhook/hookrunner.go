package webhook

import (
	"context"

	"github.com/dmplan/dmplan/runtime"
)

var _ runtime.HookRunner = (*Runner)(nil)

// RunHook makes a Runner a runtime.HookRunner, so a Datastore runs the
// hook blocks of the Spec after the Go hooks of each event:
//
//	runner := webhook.NewRunner(spec, sender, os.LookupEnv, logger)
//	ds, err := runtime.Open(ctx, spec, be, runtime.WithHookRunner(runner))
//
// self is ev.Data and changes ev.Changes. It always returns nil: HCL hooks
// log and send webhooks but never reject a write (register a Go hook for
// that), and their problems are logged, not returned.
func (r *Runner) RunHook(ctx context.Context, ev *runtime.Event) error {
	if ev == nil {
		return nil
	}
	m := r.models[ev.Model]
	if m == nil {
		r.logger.ErrorContext(ctx, "hooks skipped: model is not in the runner's spec", "model", ev.Model, "event", ev.Name, "id", ev.ID)
		return nil
	}
	r.Run(ctx, m, ev.Name, ev.ID, ev.Data, ev.Changes)
	return nil
}

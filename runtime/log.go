package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dmplan/dmplan/backend"
)

// logOp logs one operation with its duration and, for an operation run
// with opContext, the D1 rows it read and wrote: debug when it succeeded
// (or found nothing), warn when validation or a hook refused the write,
// error when it failed. It never logs field values.
func (ds *Datastore) logOp(ctx context.Context, op, model, id string, start time.Time, outcome string, err error) {
	level := slog.LevelDebug
	if err != nil {
		switch {
		case errors.Is(err, ErrNotFound):
			outcome = "not_found"
		case errors.Is(err, ErrInvalid) || errors.Is(err, ErrRejected):
			// The caller's data or a hook refused the write: not a
			// failure of the runtime or the stores.
			level = slog.LevelWarn
			outcome = outcomeOf(err)
		default:
			level = slog.LevelError
			outcome = outcomeOf(err)
		}
	}
	if !ds.log.Enabled(ctx, level) {
		return
	}
	attrs := [8]slog.Attr{
		slog.String("model", model),
		slog.String("id", id),
		slog.Duration("duration", time.Since(start)),
		slog.String("outcome", outcome),
	}
	n := 4
	if c, ok := opCost(ctx); ok {
		attrs[n] = slog.Int64("rows_read", c.RowsRead)
		attrs[n+1] = slog.Int64("rows_written", c.RowsWritten)
		n += 2
	}
	if err != nil && level >= slog.LevelWarn {
		attrs[n] = slog.String("error", err.Error())
		n++
	}
	ds.log.LogAttrs(ctx, level, "runtime."+op, attrs[:n]...)
}

// logStep logs one store call of an operation at debug level.
func (ds *Datastore) logStep(ctx context.Context, step, model, id string, start time.Time) {
	if !ds.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	ds.log.LogAttrs(ctx, slog.LevelDebug, "runtime."+step,
		slog.String("model", model), slog.String("id", id),
		slog.Duration("duration", time.Since(start)))
}

// logBulkStep logs one store call of a bulk operation at debug level.
func (ds *Datastore) logBulkStep(ctx context.Context, step, model string, records, requests int, start time.Time) {
	if !ds.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	ds.log.LogAttrs(ctx, slog.LevelDebug, "runtime."+step,
		slog.String("model", model), slog.Int("records", records), slog.Int("statements", requests),
		slog.Duration("duration", time.Since(start)))
}

func outcomeOf(err error) string {
	switch {
	case errors.Is(err, ErrInvalid):
		return "invalid"
	case errors.Is(err, ErrRejected):
		return "rejected"
	case errors.Is(err, ErrForbidden):
		return "forbidden"
	case errors.Is(err, ErrConflict):
		return "conflict"
	case errors.Is(err, ErrPartialWrite):
		return "partial_write"
	case errors.Is(err, ErrNotMigrated):
		return "not_migrated"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrUnknownField):
		return "unknown_field"
	}
	return "failed"
}

// notMigrated marks store errors that mean the schema was not applied: a
// missing table or column in D1, a missing KV namespace.
func notMigrated(err error) error {
	if err == nil || errors.Is(err, ErrNotMigrated) {
		return err
	}
	if errors.Is(err, backend.ErrNamespaceNotFound) {
		return fmt.Errorf("%w: %w", ErrNotMigrated, err)
	}
	msg := err.Error()
	if strings.Contains(msg, "no such table") || strings.Contains(msg, "no such column") || strings.Contains(msg, "has no column named") {
		return fmt.Errorf("%w: %w", ErrNotMigrated, err)
	}
	return err
}

// opErr returns the error of the op that failed in a pipeline (the
// error the single call would have returned), or err.
func opErr(err error) error {
	var pe *backend.PipelineError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

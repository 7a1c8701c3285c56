package runtime

import (
	"context"
	"fmt"
)

// The one-call helpers of a Handle: the spec's static DataModel.get,
// create, update, delete and restore.

// Create saves a new record with data and returns it.
func (h *Handle) Create(ctx context.Context, model string, data map[string]any) (*Record, error) {
	r := h.New(model)
	if r.err != nil {
		return nil, r.err
	}
	r.SetAll(data)
	if err := r.Save(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Update loads record id, sets changes and saves it.
func (h *Handle) Update(ctx context.Context, model, id string, changes map[string]any) (*Record, error) {
	r, err := h.Get(ctx, model, id)
	if err != nil {
		return nil, err
	}
	r.SetAll(changes)
	if err := r.Save(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Delete deletes record id (soft unless the model has soft_delete = false).
func (h *Handle) Delete(ctx context.Context, model, id string) error {
	r, err := h.getFor(ctx, model, id, false, "delete")
	if err != nil {
		return err
	}
	return r.Delete(ctx)
}

// Restore clears deleted_at of the soft-deleted record id.
func (h *Handle) Restore(ctx context.Context, model, id string) error {
	r, err := h.getFor(ctx, model, id, true, "restore")
	if err != nil {
		return err
	}
	return r.Restore(ctx)
}

// getFor is Get for an operation whose errors start with verb.
func (h *Handle) getFor(ctx context.Context, model, id string, deleted bool, verb string) (*Record, error) {
	m, err := h.ds.model(model)
	if err != nil {
		return nil, fmt.Errorf("%s %s %s: %w", verb, model, id, err)
	}
	r := &Record{h: h, m: m}
	if err := h.load(ctx, r, id, deleted, verb); err != nil {
		return nil, err
	}
	return r, nil
}

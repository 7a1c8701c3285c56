package runtime

import "context"

// The typed handle by Key, for models whose records a Key names: a
// composite primary key (the only way to reach those records), or any
// other key given by column.

// GetKey is Get by a Key (Handle.GetKey).
func (t *TypedModel[T]) GetKey(ctx context.Context, key Key, opts ...ReadOption) (*T, error) {
	r, err := t.h.GetKey(ctx, t.m.name, key, opts...)
	if err != nil {
		return nil, err
	}
	return t.Decode(r)
}

// UpdateKey is Update by a Key.
func (t *TypedModel[T]) UpdateKey(ctx context.Context, key Key, v *T) (*T, error) {
	if v == nil {
		return nil, t.nilValue("update")
	}
	r, err := t.h.GetKey(ctx, t.m.name, key)
	if err != nil {
		return nil, err
	}
	return t.update(ctx, r, v)
}

// DeleteKey is Delete by a Key.
func (t *TypedModel[T]) DeleteKey(ctx context.Context, key Key) error {
	return t.h.DeleteKey(ctx, t.m.name, key)
}

// RestoreKey is Restore by a Key.
func (t *TypedModel[T]) RestoreKey(ctx context.Context, key Key) error {
	return t.h.RestoreKey(ctx, t.m.name, key)
}

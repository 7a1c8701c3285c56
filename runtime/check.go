package runtime

import (
	"context"
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/backend"
)

// Check verifies that every table, column, unique index and KV namespace
// the Spec needs exists, in at most two D1 requests and one KV call. It returns nil, or
// an error wrapping ErrNotMigrated that lists everything missing. Open
// does not call it; services that want to fail fast at start-up do.
func (ds *Datastore) Check(ctx context.Context) error {
	live, err := backend.Inspect(ctx, ds.d1, ds.kv)
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	var missing []string
	for _, name := range ds.modelNames() {
		m := ds.models[name]
		t := live.Table(m.spec.D1.Table)
		if t == nil {
			missing = append(missing, "table "+m.spec.D1.Table+" (model "+m.name+")")
		} else {
			for _, f := range m.cols {
				if t.Column(f.Name) == nil {
					missing = append(missing, "column "+m.spec.D1.Table+"."+f.Name)
				}
			}
			// Without its unique indexes D1 would take records the model
			// declares unique (unique = "live" among them).
			for _, ix := range m.spec.D1.Indexes {
				if ix != nil && ix.Unique && t.Index(ix.Name) == nil {
					missing = append(missing, "unique index "+ix.Name)
				}
			}
		}
		if ns := live.Namespace(m.nsTitle); ns != nil {
			id := ns.ID
			m.nsID.Store(&id)
		} else {
			missing = append(missing, "KV namespace "+m.nsTitle)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w (environment %s): missing %s", ErrNotMigrated, ds.env, strings.Join(missing, ", "))
	}
	return nil
}

// Package runtime is the DataModel library: create, read, update, delete,
// restore and query records of the models a Spec declares, against the same
// D1 tables and KV namespaces that dmplan plans and applies.
//
// KV holds the full object and D1 holds the queryable columns. One Save
// writes both, KV first: a KV failure means nothing reaches D1, and a D1
// failure after KV succeeded returns an error wrapping ErrPartialWrite that
// names the model and id (dmplan reconcile rebuilds the row from KV).
//
//	ds, err := runtime.Open(ctx, spec, be, runtime.WithLogger(logger))
//	user := ds.Auth(userID)                  // scoped; ds.System() for jobs
//	page := user.New("PAGE")
//	page.SetAll(map[string]any{"project_id": "proj_123", "url": "https://example.com"})
//	err = page.Save(ctx)                     // validate, hooks, KV, D1
//	res, err := user.Query("PAGE").Where("project_id", "proj_123").
//		OrderBy("created_at", runtime.Desc).Limit(25).Page(2).List(ctx)
//
// Cursor pages (q.After(cursor), then res.Pagination.NextCursor) read only
// their own rows at any depth; Total(TotalNone) or TotalEstimate skips or
// bounds the count, which otherwise reads every matching row: D1 bills
// rows read.
//
// Open never migrates: when a table, column or namespace is missing,
// operations fail with an error wrapping ErrNotMigrated that says to run
// `dmplan apply`. Check verifies everything at once.
//
// Auth: a handle from Auth(userID) sees only that user's records of models
// with user_tracking or auth on; another user's record behaves exactly like
// a missing one (ErrNotFound), and a record cannot be created for another
// user (ErrForbidden). Models with both options off are shared.
//
// Deletes are soft (deleted_at is set in KV and D1) unless the model sets
// soft_delete = false; reads and queries skip deleted records unless asked.
//
// Hooks run around every write, in the order they were registered, like
// middleware: before hooks may change the data (before_create) or reject
// the write (ErrRejected, nothing written); after hook errors are logged
// and never fail the operation. HookRunner plugs in hooks declared in HCL.
//
// Every operation logs its duration, model, id, outcome and the D1 rows it
// read and wrote through log/slog: debug on success, error on failure,
// never field values. WithMeter sums those rows (Cost) over any operations;
// a query shape whose plan scans its whole table is logged once at warn
// (WithIndexAdvice).
//
// A Datastore and its handles are safe for concurrent use; a Record is not.
package runtime

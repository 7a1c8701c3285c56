package backend

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// ErrOutcomeUnknown is wrapped by errors of writes that failed after they
// may have run (a dropped connection, a timeout, a 5xx): either not
// replayed because they are not idempotent, or replayed until the retries
// ran out with no attempt answered. The write may or may not have taken
// effect.
var ErrOutcomeUnknown = errors.New("backend: the write may or may not have been applied")

// OpKind names one primitive of a pipeline.
type OpKind int

// The primitives a pipeline runs: the calls of KV and D1.
const (
	OpKVGet        OpKind = iota + 1 // KV.Get: Result.Entry, Result.Found
	OpKVGetMany                      // KV.GetMany: Result.Values (Keys or KeysFrom)
	OpKVPut                          // KV.Put of Entry
	OpKVPutMany                      // KV.PutMany of Entries
	OpKVDelete                       // KV.Delete of Key
	OpKVDeleteMany                   // KV.DeleteMany of Keys
	OpKVList                         // KV.List: Result.Page
	OpD1Query                        // D1.Query of Stmt: Result.Results[0]
	OpD1Batch                        // D1.Batch of Stmts: Result.Results
)

var opNames = [...]string{"", "kv get", "kv get many", "kv put", "kv put many", "kv delete", "kv delete many", "kv list", "d1 query", "d1 batch"}

func (k OpKind) String() string {
	if k > 0 && int(k) < len(opNames) {
		return opNames[k]
	}
	return "op kind " + strconv.Itoa(int(k))
}

// Op is one primitive of a pipeline. Which fields count depends on Kind.
type Op struct {
	Kind OpKind
	// NS is the KV namespace id of a KV op.
	NS string
	// Key is the key of OpKVGet and OpKVDelete.
	Key string
	// Keys are the keys of OpKVGetMany and OpKVDeleteMany.
	Keys []string
	// KeysFrom makes an OpKVGetMany read its keys from an earlier D1 op's
	// result instead of Keys, so a query and the read of its rows' objects
	// are one round trip on a backend that pipelines.
	KeysFrom *KeysFrom
	// Entry is the entry of OpKVPut; Entries those of OpKVPutMany.
	Entry   Entry
	Entries []Entry
	// Prefix, Cursor and Limit are OpKVList's arguments.
	Prefix, Cursor string
	Limit          int
	// Stmt is OpD1Query's statement; Stmts OpD1Batch's (atomic).
	Stmt  Stmt
	Stmts []Stmt
	// Idempotent marks every statement of a D1 op as safe to run twice,
	// like Stmt.Idempotent on each (an upsert of fixed values, DDL with
	// IF NOT EXISTS, a delete by key), so a pipeline holding it may be
	// replayed after an ambiguous failure. KV puts and deletes and every
	// read are idempotent without it.
	Idempotent bool
}

// KeysFrom names the keys of an OpKVGetMany by an earlier op's D1 result:
// for every row, Prefix + the text of column Column + Suffix; rows whose
// cell is NULL are skipped. Op is the index of an OpD1Query or OpD1Batch
// op before this one; Statement picks the statement of a batch.
type KeysFrom struct {
	Op        int
	Statement int
	Column    int
	Prefix    string
	Suffix    string
}

// OpResult is what one op returned.
type OpResult struct {
	Kind OpKind
	// Entry and Found are OpKVGet's answer: a missing key is Found ==
	// false, not an error, so it does not stop a pipeline.
	Entry Entry
	Found bool
	// Keys are the keys an OpKVGetMany read (resolved from KeysFrom when
	// it had one); Values the values of those that exist.
	Keys   []string
	Values map[string][]byte
	// Page is OpKVList's page.
	Page ListPage
	// Results holds OpD1Query's result (one) or OpD1Batch's.
	Results []*Result
}

// Pipeliner is the optional capability of a backend that runs a list of
// ops in one round trip (the gateway; more only when the ops exceed one
// request's limits). A backend without it runs them one by one through
// RunOps, with the same semantics.
type Pipeliner interface {
	// Pipeline runs ops in order and stops at the first that fails: it
	// then returns the results of the ops before it and a *PipelineError
	// naming it; later ops did not run. An error that is not a
	// *PipelineError means nothing is known to have run, or, when it
	// wraps ErrOutcomeUnknown, that the ops may have run.
	Pipeline(ctx context.Context, ops []Op) ([]OpResult, error)
}

// PipelineError reports the op that failed; the ops before it ran and the
// ops after it did not.
type PipelineError struct {
	Index int // 0-based position of the failed op
	Kind  OpKind
	Err   error
}

func (e *PipelineError) Error() string {
	return fmt.Sprintf("op %d (%s): %v", e.Index, e.Kind, e.Err)
}

func (e *PipelineError) Unwrap() error { return e.Err }

// Replayable reports whether running op twice leaves the state running it
// once leaves: reads, KV puts and deletes, and D1 ops marked Idempotent or
// made only of statements that do not write or are marked
// Stmt.Idempotent.
func (op Op) Replayable() bool {
	switch op.Kind {
	case OpKVGet, OpKVGetMany, OpKVList, OpKVPut, OpKVPutMany, OpKVDelete, OpKVDeleteMany:
		return true
	case OpD1Query:
		return op.Idempotent || replayableStmt(op.Stmt)
	case OpD1Batch:
		if op.Idempotent {
			return true
		}
		for _, st := range op.Stmts {
			if !replayableStmt(st) {
				return false
			}
		}
		return true
	}
	return false
}

func replayableStmt(st Stmt) bool {
	if st.Idempotent {
		return true
	}
	info, err := ScanSQL(st.SQL)
	return err == nil && !info.Writes
}

// RunOps runs ops on b: in one round trip when b is a Pipeliner (more only
// when the ops exceed one request's limits), else one call at a time with the same semantics (stop at the first failure, a
// *PipelineError naming it, results of the ops that ran). It checks the
// whole list first (CheckOps) so a bad op fails before anything runs.
func RunOps(ctx context.Context, b Backend, ops []Op) ([]OpResult, error) {
	if err := CheckOps(ops); err != nil {
		return nil, err
	}
	if len(ops) == 0 {
		return nil, nil
	}
	if p, ok := b.(Pipeliner); ok {
		return p.Pipeline(ctx, ops)
	}
	out := make([]OpResult, 0, len(ops))
	for i, op := range ops {
		res, err := runOp(ctx, b, op, out)
		if err != nil {
			return out, &PipelineError{Index: i, Kind: op.Kind, Err: err}
		}
		out = append(out, res)
	}
	return out, nil
}

// CheckOps checks a pipeline before anything runs: known kinds, the
// arguments each kind needs, KeysFrom references to earlier D1 ops, and
// the KV and D1 limits (CheckKey, CheckEntry's size rules, CheckStmt). An
// error is a *PipelineError naming the op.
func CheckOps(ops []Op) error {
	for i, op := range ops {
		if err := checkOp(op, i, ops); err != nil {
			return &PipelineError{Index: i, Kind: op.Kind, Err: err}
		}
	}
	return nil
}

func checkOp(op Op, i int, ops []Op) error {
	kv := op.Kind >= OpKVGet && op.Kind <= OpKVList
	if kv && op.NS == "" {
		return errors.New("no KV namespace id")
	}
	switch op.Kind {
	case OpKVGet, OpKVDelete:
		return CheckKey(op.Key)
	case OpKVGetMany:
		if op.KeysFrom != nil {
			r := op.KeysFrom
			if r.Op < 0 || r.Op >= i || (ops[r.Op].Kind != OpD1Query && ops[r.Op].Kind != OpD1Batch) {
				return fmt.Errorf("KeysFrom.Op %d is not an earlier D1 op", r.Op)
			}
			if r.Column < 0 || r.Statement < 0 || (ops[r.Op].Kind == OpD1Batch && r.Statement >= len(ops[r.Op].Stmts)) ||
				(ops[r.Op].Kind == OpD1Query && r.Statement != 0) {
				return fmt.Errorf("KeysFrom names no column %d of statement %d", r.Column, r.Statement)
			}
			if len(op.Keys) > 0 {
				return errors.New("both Keys and KeysFrom")
			}
			return nil
		}
		for _, k := range op.Keys {
			if err := CheckKey(k); err != nil {
				return err
			}
		}
	case OpKVDeleteMany:
		for _, k := range op.Keys {
			if err := CheckKey(k); err != nil {
				return err
			}
		}
	case OpKVPut:
		return checkEntrySize(op.Entry)
	case OpKVPutMany:
		for _, e := range op.Entries {
			if err := checkEntrySize(e); err != nil {
				return err
			}
		}
	case OpKVList:
		if op.Limit < 0 || op.Limit > MaxListLimit {
			return fmt.Errorf("list limit %d (want 0 to %d)", op.Limit, MaxListLimit)
		}
	case OpD1Query:
		_, err := CheckStmt(op.Stmt)
		return err
	case OpD1Batch:
		for j, st := range op.Stmts {
			if _, err := CheckStmt(st); err != nil {
				return fmt.Errorf("statement %d: %w", j+1, err)
			}
		}
	default:
		return fmt.Errorf("unknown op kind %d", int(op.Kind))
	}
	return nil
}

// checkEntrySize applies CheckEntry's rules except the expiration's, which
// depends on the clock and is left to the backend.
func checkEntrySize(e Entry) error {
	e.Expiration = e.Expiration.UTC()
	if e.Expiration.IsZero() {
		return CheckEntry(e, e.Expiration)
	}
	return CheckEntry(e, e.Expiration.Add(-MinExpiration))
}

func runOp(ctx context.Context, b Backend, op Op, done []OpResult) (OpResult, error) {
	res := OpResult{Kind: op.Kind}
	var err error
	switch op.Kind {
	case OpKVGet:
		res.Entry, err = b.KV().Get(ctx, op.NS, op.Key)
		if errors.Is(err, ErrKeyNotFound) {
			return res, nil
		}
		res.Found = err == nil
	case OpKVGetMany:
		res.Keys = op.Keys
		if op.KeysFrom != nil {
			if res.Keys, err = ResolveKeysFrom(op.KeysFrom, done); err != nil {
				return res, err
			}
		}
		res.Values, err = b.KV().GetMany(ctx, op.NS, res.Keys)
	case OpKVPut:
		err = b.KV().Put(ctx, op.NS, op.Entry)
	case OpKVPutMany:
		err = b.KV().PutMany(ctx, op.NS, op.Entries)
	case OpKVDelete:
		err = b.KV().Delete(ctx, op.NS, op.Key)
	case OpKVDeleteMany:
		err = b.KV().DeleteMany(ctx, op.NS, op.Keys)
	case OpKVList:
		res.Page, err = b.KV().List(ctx, op.NS, op.Prefix, op.Cursor, op.Limit)
	case OpD1Query:
		var r *Result
		if r, err = b.D1().Query(markIdempotent(ctx, op), op.Stmt); err == nil {
			res.Results = []*Result{r}
		}
	case OpD1Batch:
		res.Results, err = b.D1().Batch(markIdempotent(ctx, op), op.Stmts)
	default:
		err = fmt.Errorf("unknown op kind %d", int(op.Kind))
	}
	return res, err
}

// ResolveKeysFrom returns the keys a KeysFrom names in the results of the
// ops that ran: Prefix + the cell's text + Suffix per row, NULL cells
// skipped, in row order without repeats.
func ResolveKeysFrom(r *KeysFrom, done []OpResult) ([]string, error) {
	if r.Op < 0 || r.Op >= len(done) || r.Statement < 0 || r.Statement >= len(done[r.Op].Results) {
		return nil, fmt.Errorf("KeysFrom: op %d has no statement %d", r.Op, r.Statement)
	}
	res := done[r.Op].Results[r.Statement]
	seen := map[string]bool{}
	var keys []string
	for _, row := range res.Rows {
		if r.Column >= len(row) {
			return nil, fmt.Errorf("KeysFrom: op %d has no column %d", r.Op, r.Column)
		}
		var text string
		switch v := row[r.Column].(type) {
		case nil:
			continue
		case string:
			text = v
		case int64:
			text = strconv.FormatInt(v, 10)
		case float64:
			text = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			return nil, fmt.Errorf("KeysFrom: column %d holds %T", r.Column, v)
		}
		k := r.Prefix + text + r.Suffix
		if err := CheckKey(k); err != nil {
			return nil, fmt.Errorf("KeysFrom: %w", err)
		}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys, nil
}

type idempotentKey struct{}

// WithIdempotent marks the D1 statements run with ctx as safe to replay
// (DDL with IF NOT EXISTS, upserts of fixed values, deletes by key), so a
// backend may retry them after an ambiguous failure.
func WithIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

// IsMarkedIdempotent reports whether ctx was marked by WithIdempotent.
func IsMarkedIdempotent(ctx context.Context) bool {
	v, _ := ctx.Value(idempotentKey{}).(bool)
	return v
}

// markIdempotent passes an op's Idempotent mark to the backend's retry
// rules through ctx.
func markIdempotent(ctx context.Context, op Op) context.Context {
	if op.Idempotent {
		return WithIdempotent(ctx)
	}
	return ctx
}

package applier

import "github.com/dmplan/dmplan/backend"

// Default batch limits. D1 runs a batch as one transaction; sending a plan
// in a few medium batches keeps each request well inside D1's request size
// and duration limits. Atomicity holds per batch: when a batch fails,
// nothing of it took effect, while earlier batches stay applied (history
// records how far the apply got, and the next plan picks up the rest).
const (
	DefaultMaxBatchStatements = 100
	DefaultMaxBatchBytes      = 10 * backend.MaxStatementBytes
)

// BatchLimiter is an optional capability of a backend.D1, discovered by
// type assertion: the largest batch it runs atomically. A limit <= 0 means
// no limit, so a backend whose batch is one local transaction can take a
// whole plan at once. Options.MaxBatchStatements and MaxBatchBytes, when
// set, take precedence.
type BatchLimiter interface {
	BatchLimits() (statements, bytes int)
}

// batchLimits resolves the batch limits for d1: options first, then the
// backend's BatchLimits, then the defaults. Zero or less from BatchLimits
// means unlimited.
func batchLimits(d1 backend.D1, opts Options) (stmts, bytes int) {
	stmts, bytes = DefaultMaxBatchStatements, DefaultMaxBatchBytes
	if bl, ok := d1.(BatchLimiter); ok {
		s, b := bl.BatchLimits()
		stmts, bytes = unlimited(s), unlimited(b)
	}
	if opts.MaxBatchStatements > 0 {
		stmts = opts.MaxBatchStatements
	}
	if opts.MaxBatchBytes > 0 {
		bytes = opts.MaxBatchBytes
	}
	return stmts, bytes
}

func unlimited(n int) int {
	if n <= 0 {
		return int(^uint(0) >> 1)
	}
	return n
}

// stmtRef is one statement to send and the plan step it comes from
// (-1 for the applier's own history statements).
type stmtRef struct {
	step int
	sql  string
	args []any
}

// chunk splits statements into batches of at most maxStmts statements and
// maxBytes bytes of SQL text, never splitting one step's statements across
// batches unless the step alone is over a limit.
func chunk(refs []stmtRef, maxStmts, maxBytes int) [][]stmtRef {
	if maxStmts <= 0 {
		maxStmts = DefaultMaxBatchStatements
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBatchBytes
	}
	var out [][]stmtRef
	var cur []stmtRef
	size := 0
	for i := 0; i < len(refs); {
		// The statements of one step: refs[i:j].
		j := i + 1
		for j < len(refs) && refs[j].step == refs[i].step && refs[i].step >= 0 {
			j++
		}
		group, gsize := refs[i:j], 0
		for _, r := range group {
			gsize += len(r.sql)
		}
		if len(cur) > 0 && (len(cur)+len(group) > maxStmts || size+gsize > maxBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		for _, r := range group {
			if len(cur) > 0 && (len(cur)+1 > maxStmts || size+len(r.sql) > maxBytes) {
				out = append(out, cur)
				cur, size = nil, 0
			}
			cur = append(cur, r)
			size += len(r.sql)
		}
		i = j
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func toStmts(refs []stmtRef) []backend.Stmt {
	out := make([]backend.Stmt, len(refs))
	for i, r := range refs {
		out[i] = backend.Stmt{SQL: r.sql, Args: r.args}
	}
	return out
}

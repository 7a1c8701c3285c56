package faulty

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dmplan/dmplan/backend"
)

// Op is a kind of backend call.
type Op string

// The calls a Backend counts and can fail.
const (
	KVGet        Op = "kv.get"
	KVGetMany    Op = "kv.get_many"
	KVPut        Op = "kv.put"
	KVPutMany    Op = "kv.put_many"
	KVDelete     Op = "kv.delete"
	KVDeleteMany Op = "kv.delete_many"
	KVList       Op = "kv.list"
	KVNamespaces Op = "kv.namespaces"
	KVCreateNS   Op = "kv.create_namespace"
	D1Query      Op = "d1.query"
	D1Batch      Op = "d1.batch"
)

// ErrInjected is wrapped by every failure a Backend injects.
var ErrInjected = errors.New("faulty: injected failure")

// Backend is a backend.Backend whose calls can be made to fail. It is
// safe for concurrent use.
type Backend struct {
	backend.Backend
	mu     sync.Mutex
	counts map[Op]int
	rules  []rule
	delays map[Op]time.Duration
	d1     *d1
	kv     *kv
}

type rule struct {
	op    Op
	at    int  // fail when counts[op] reaches it
	after bool // run the call, then fail
	// sql, when set, fails the first D1 call (query or batch) holding a
	// statement whose text contains it, whatever op and at say.
	sql string
}

var _ backend.Backend = (*Backend)(nil)

// Wrap returns b with fault injection.
func Wrap(b backend.Backend) *Backend {
	f := &Backend{Backend: b, counts: map[Op]int{}}
	f.d1 = &d1{f: f, next: b.D1()}
	f.kv = &kv{f: f, next: b.KV()}
	return f
}

// D1 returns the wrapped D1.
func (f *Backend) D1() backend.D1 { return f.d1 }

// KV returns the wrapped KV.
func (f *Backend) KV() backend.KV { return f.kv }

// FailNth makes the nth call of op from now (1 is the next one) fail
// before it reaches the store.
func (f *Backend) FailNth(op Op, n int) { f.arm(op, n, false) }

// FailNthAfter makes the nth call of op from now take effect and then
// return an error, as a lost response would.
func (f *Backend) FailNthAfter(op Op, n int) { f.arm(op, n, true) }

func (f *Backend) arm(op Op, n int, after bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, rule{op: op, at: f.counts[op] + n, after: after})
}

// FailStatement makes the next D1 query or batch holding a statement whose
// SQL contains substr fail before it reaches the store (nothing in the
// batch takes effect).
func (f *Backend) FailStatement(substr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, rule{sql: substr})
}

// SetLatency makes every later call of op wait d before it reaches the
// store (0 removes the delay), as a remote store would: Workers KV reads
// take about 5 ms from a Worker and more from elsewhere. Races that need a
// slow step show up under it.
func (f *Backend) SetLatency(op Op, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.delays == nil {
		f.delays = map[Op]time.Duration{}
	}
	f.delays[op] = d
}

// Clear removes every armed failure.
func (f *Backend) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
}

// Armed reports whether some armed failure has not fired yet.
func (f *Backend) Armed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.rules) > 0
}

// Count returns how many calls of op were made.
func (f *Backend) Count(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[op]
}

// Counts returns a copy of the call counts by kind.
func (f *Backend) Counts() map[Op]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[Op]int, len(f.counts))
	for k, v := range f.counts {
		out[k] = v
	}
	return out
}

// Total returns the number of calls of every kind.
func (f *Backend) Total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, v := range f.counts {
		n += v
	}
	return n
}

// call counts a call of op and runs it, failing it when a rule says so.
// sts are the statements of a D1 call.
func (f *Backend) call(op Op, run func() error, sts ...backend.Stmt) error {
	f.mu.Lock()
	f.counts[op]++
	n := f.counts[op]
	fire, after := false, false
	for i, r := range f.rules {
		if (r.sql == "" && r.op == op && r.at == n) || (r.sql != "" && holds(sts, r.sql)) {
			fire, after = true, r.after
			f.rules = append(f.rules[:i:i], f.rules[i+1:]...)
			break
		}
	}
	delay := f.delays[op]
	f.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	if !fire {
		return run()
	}
	if after {
		if err := run(); err != nil {
			return err
		}
		return fmt.Errorf("%s call %d (after it took effect): %w", op, n, ErrInjected)
	}
	return fmt.Errorf("%s call %d: %w", op, n, ErrInjected)
}

type d1 struct {
	f    *Backend
	next backend.D1
}

func (d *d1) Query(ctx context.Context, st backend.Stmt) (res *backend.Result, err error) {
	err = d.f.call(D1Query, func() error {
		res, err = d.next.Query(ctx, st)
		return err
	}, st)
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (d *d1) Batch(ctx context.Context, sts []backend.Stmt) (res []*backend.Result, err error) {
	err = d.f.call(D1Batch, func() error {
		res, err = d.next.Batch(ctx, sts)
		return err
	}, sts...)
	if err != nil {
		return nil, err
	}
	return res, nil
}

func holds(sts []backend.Stmt, substr string) bool {
	for _, st := range sts {
		if strings.Contains(st.SQL, substr) {
			return true
		}
	}
	return false
}

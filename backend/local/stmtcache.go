package local

import (
	"database/sql"
	"sync"
	"sync/atomic"

	"github.com/dmplan/dmplan/backend"
)

// maxCachedStmts bounds one generation of the statement cache. Past it the
// cache starts a new generation; the previous one is closed at the next
// turn, so a goroutine still running a retired statement is never cut
// short.
const maxCachedStmts = 512

type cachedStmt struct {
	stmt *sql.Stmt // nil for statements run without preparing
	info backend.SQLInfo
}

// stmtCache keeps prepared statements by SQL text. Lookups take no lock. A
// *sql.Stmt is safe for concurrent use and re-prepares itself on each
// pooled connection.
type stmtCache struct {
	cur     atomic.Pointer[stmtGen]
	mu      sync.Mutex // serializes put and closeAll
	retired *stmtGen
}

type stmtGen struct {
	m sync.Map // SQL text -> *cachedStmt
	n int      // entries, guarded by stmtCache.mu
}

func (c *stmtCache) get(sql string) *cachedStmt {
	g := c.cur.Load()
	if g == nil {
		return nil
	}
	if v, ok := g.m.Load(sql); ok {
		return v.(*cachedStmt)
	}
	return nil
}

// put stores cs unless another goroutine stored the same SQL first, and
// returns the stored one.
func (c *stmtCache) put(sql string, cs *cachedStmt) *cachedStmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.cur.Load()
	if g == nil {
		g = &stmtGen{}
		c.cur.Store(g)
	}
	if v, ok := g.m.Load(sql); ok {
		cs.stmt.Close()
		return v.(*cachedStmt)
	}
	if g.n >= maxCachedStmts {
		if c.retired != nil {
			closeGen(c.retired)
		}
		c.retired, g = g, &stmtGen{}
		c.cur.Store(g)
	}
	g.m.Store(sql, cs)
	g.n++
	return cs
}

func (c *stmtCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if g := c.cur.Swap(nil); g != nil {
		closeGen(g)
	}
	if c.retired != nil {
		closeGen(c.retired)
		c.retired = nil
	}
}

func closeGen(g *stmtGen) {
	g.m.Range(func(_, v any) bool {
		if s := v.(*cachedStmt).stmt; s != nil {
			s.Close()
		}
		return true
	})
}

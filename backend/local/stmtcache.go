package local

import (
	"database/sql"
	"sync"

	"github.com/dmplan/dmplan/backend"
)

// maxCachedStmts bounds the statement cache. Past it the cache starts a new
// generation; the previous one is closed at the next turn, so a goroutine
// still running a retired statement is never cut short.
const maxCachedStmts = 512

type cachedStmt struct {
	stmt *sql.Stmt
	info backend.SQLInfo
}

// stmtCache keeps prepared statements by SQL text. A *sql.Stmt is safe for
// concurrent use and re-prepares itself on each pooled connection.
type stmtCache struct {
	mu sync.RWMutex
	m  map[string]*cachedStmt
	// retired is the previous generation, closed at the next turn.
	retired map[string]*cachedStmt
}

func (c *stmtCache) get(sql string) *cachedStmt {
	c.mu.RLock()
	cs := c.m[sql]
	c.mu.RUnlock()
	return cs
}

// put stores cs unless another goroutine stored the same SQL first, and
// returns the stored one.
func (c *stmtCache) put(sql string, cs *cachedStmt) *cachedStmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[sql]; old != nil {
		cs.stmt.Close()
		return old
	}
	if len(c.m) >= maxCachedStmts {
		for _, old := range c.retired {
			old.stmt.Close()
		}
		c.retired, c.m = c.m, make(map[string]*cachedStmt, maxCachedStmts)
	}
	c.m[sql] = cs
	return cs
}

func (c *stmtCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, cs := range c.m {
		cs.stmt.Close()
		delete(c.m, k)
	}
	for _, cs := range c.retired {
		cs.stmt.Close()
	}
	c.retired = nil
}

package cloudflare

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	cf "github.com/cloudflare/cloudflare-go/v6"

	"github.com/dmplan/dmplan/backend"
)

// TestD1Errors checks that D1's own message is kept, the sentinel errors
// match, and what is refused locally never reaches the API.
func TestD1Errors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.s.D1().Query(ctx, backend.Stmt{SQL: "CREATE TABLE u (email TEXT UNIQUE NOT NULL)"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.D1().Query(ctx, backend.Stmt{SQL: "INSERT INTO u VALUES (?)", Args: []any{"a"}}); err != nil {
		t.Fatal(err)
	}
	many := make([]any, backend.MaxParams+1)
	for i := range many {
		many[i] = int64(i)
	}
	tests := []struct {
		name     string
		st       backend.Stmt
		is       error
		msg      string
		requests int
	}{
		{"unique", backend.Stmt{SQL: "INSERT INTO u VALUES (?)", Args: []any{"a"}}, backend.ErrConstraint, "d1: UNIQUE constraint failed: u.email", 1},
		{"not null", backend.Stmt{SQL: "INSERT INTO u VALUES (?)", Args: []any{nil}}, backend.ErrConstraint, "NOT NULL constraint failed: u.email", 1},
		{"syntax", backend.Stmt{SQL: "SELEC 1"}, nil, "SQLITE_ERROR", 1},
		{"begin", backend.Stmt{SQL: "BEGIN TRANSACTION"}, backend.ErrTransactionStatement, "", 0},
		{"savepoint", backend.Stmt{SQL: "  savepoint sp"}, backend.ErrTransactionStatement, "", 0},
		{"too many params", backend.Stmt{SQL: "SELECT 1", Args: many}, backend.ErrTooLarge, "", 0},
		{"statement too long", backend.Stmt{SQL: "SELECT '" + strings.Repeat("x", backend.MaxStatementBytes) + "'"}, backend.ErrTooLarge, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.mark(t)
			_, err := f.s.D1().Query(ctx, tt.st)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want one wrapping %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want it to say %q", err, tt.msg)
			}
			if tt.requests == 1 {
				var apiErr *cf.Error
				if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest || apiErr.Errors[0].Code != 7500 {
					t.Errorf("err = %v, want it to wrap the API's 400 with code 7500", err)
				}
			}
			if n := len(f.requests(t)); n != tt.requests {
				t.Errorf("%d requests sent, want %d", n, tt.requests)
			}
		})
	}
}

// TestD1BatchAtomicOverREST checks, against workerd's D1, that a failing
// statement rolls back the whole batch request.
func TestD1BatchAtomicOverREST(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	_, err := f.s.D1().Batch(ctx, []backend.Stmt{
		{SQL: "CREATE TABLE a (k TEXT PRIMARY KEY)"},
		{SQL: "INSERT INTO a VALUES (?)", Args: []any{"one"}},
		{SQL: "INSERT INTO a VALUES (?)", Args: []any{"one"}},
	})
	if !errors.Is(err, backend.ErrConstraint) {
		t.Fatalf("err = %v, want a constraint error", err)
	}
	res, err := f.s.D1().Query(ctx, backend.Stmt{SQL: "SELECT count(*) FROM sqlite_master WHERE name = 'a'"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[0][0] != int64(0) {
		t.Errorf("table created by a failed batch is there")
	}
}

// TestBookmark checks that the Time Travel bookmark is stable while nothing
// is written and moves after a write.
func TestBookmark(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	first, err := f.s.Bookmark(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.s.Bookmark(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first != again {
		t.Errorf("bookmark moved without a write: %q then %q", first, again)
	}
	if _, err := f.s.D1().Query(ctx, backend.Stmt{SQL: "CREATE TABLE b (x)"}); err != nil {
		t.Fatal(err)
	}
	after, err := f.s.Bookmark(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after == first {
		t.Errorf("bookmark %q did not move after a write", after)
	}
}

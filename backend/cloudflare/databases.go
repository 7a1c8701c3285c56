package cloudflare

import (
	"context"
	"fmt"
	"time"

	"github.com/cloudflare/cloudflare-go/v6/d1"
)

// Database is a D1 database of the account as the list API shows it.
type Database struct {
	ID   string
	Name string
	// Jurisdiction is where the database is restricted to ("eu",
	// "fedramp"), "" when it is not.
	Jurisdiction string
	CreatedAt    time.Time
}

// ListDatabasesPerPage is how many databases one list request asks for.
const ListDatabasesPerPage = 1000

// ListDatabases lists every D1 database of the account, following the
// pages: one request per ListDatabasesPerPage databases (and one more
// when the count is a multiple of it). It stops at the first short page.
func (s *Store) ListDatabases(ctx context.Context) ([]Database, error) {
	perPage := ListDatabasesPerPage
	if s.listPerPage > 0 {
		perPage = s.listPerPage
	}
	var out []Database
	for page := 1; ; page++ {
		var res []d1.DatabaseListResponse
		err := s.call(ctx, "list d1 databases", idempotent, func(ctx context.Context) error {
			var params d1.DatabaseListParams
			present(&params.AccountID, s.cfg.AccountID)
			present(&params.Page, float64(page))
			present(&params.PerPage, float64(perPage))
			r, err := s.db.List(ctx, params)
			if err != nil {
				return err
			}
			res = r.Result
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list d1 databases (page %d): %w", page, err)
		}
		for _, db := range res {
			out = append(out, Database{ID: db.UUID, Name: db.Name, Jurisdiction: string(db.Jurisdiction), CreatedAt: db.CreatedAt})
		}
		if len(res) < perPage {
			return out, nil
		}
	}
}

// FindDatabase returns the account's D1 database named name, asking the
// list API for that name only (its name filter matches more than the
// exact name, so pages are followed until it is found): one request
// where ListDatabases would page through the whole account.
func (s *Store) FindDatabase(ctx context.Context, name string) (Database, bool, error) {
	const perPage = 100
	for page := 1; ; page++ {
		var res []d1.DatabaseListResponse
		err := s.call(ctx, "list d1 databases", idempotent, func(ctx context.Context) error {
			var params d1.DatabaseListParams
			present(&params.AccountID, s.cfg.AccountID)
			present(&params.Name, name)
			present(&params.Page, float64(page))
			present(&params.PerPage, float64(perPage))
			r, err := s.db.List(ctx, params)
			if err != nil {
				return err
			}
			res = r.Result
			return nil
		})
		if err != nil {
			return Database{}, false, fmt.Errorf("find d1 database %s: %w", name, err)
		}
		for _, db := range res {
			if db.Name == name {
				return Database{ID: db.UUID, Name: db.Name, Jurisdiction: string(db.Jurisdiction), CreatedAt: db.CreatedAt}, true, nil
			}
		}
		if len(res) < perPage {
			return Database{}, false, nil
		}
	}
}

// CreateDatabase creates a D1 database with the name, in the jurisdiction
// when it is not "". It is not retried after a failure that may have
// created the database (a retry would fail on the name); the caller lists
// again to find out.
func (s *Store) CreateDatabase(ctx context.Context, name, jurisdiction string) (Database, error) {
	var got *d1.D1
	err := s.call(ctx, "create d1 database", unsafe, func(ctx context.Context) error {
		var params d1.DatabaseNewParams
		present(&params.AccountID, s.cfg.AccountID)
		present(&params.Name, name)
		if jurisdiction != "" {
			present(&params.Jurisdiction, d1.DatabaseNewParamsJurisdiction(jurisdiction))
		}
		var err error
		got, err = s.db.New(ctx, params)
		return err
	})
	if err != nil {
		return Database{}, fmt.Errorf("create d1 database %s: %w", name, err)
	}
	return Database{ID: got.UUID, Name: got.Name, Jurisdiction: string(got.Jurisdiction), CreatedAt: got.CreatedAt}, nil
}

package cloudflare

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudflare/cloudflare-go/v6/d1"
	"github.com/cloudflare/cloudflare-go/v6/kv"
	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/workers"

	"github.com/dmplan/dmplan/backend"
)

// Store is a D1 database and the Workers KV namespaces of one Cloudflare
// account, reached through the REST API.
type Store struct {
	cfg     Config
	db      *d1.DatabaseService
	ns      *kv.NamespaceService
	scripts *workers.ScriptService
	routes  *workers.RouteService
	// subdomain is the account's workers.dev subdomain service.
	subdomain *workers.SubdomainService
	requests  atomic.Int64
	dbID      string
	dbName    string
	sleep     func(context.Context, time.Duration) error
	now       func() time.Time
	d1        *DB
	kv        *KV
	// listPerPage overrides ListDatabasesPerPage (tests of the paging).
	listPerPage int
}

var _ backend.Backend = (*Store)(nil)

// uuidRE matches a D1 database id. It is compiled on first use, not when
// every dmplan command starts.
var uuidRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)
})

// Open connects to the account and resolves Config.Database (a name or an
// id) to its id: one request.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	s := &Store{cfg: cfg, sleep: sleepCtx, now: time.Now}
	// The services are built without the SDK's root client, so none of its
	// defaults apply (see sdk.go): the base URL is always set here, and no
	// credentials are read from the environment behind Config's back.
	opts := []option.RequestOption{
		option.WithBaseURL(cfg.BaseURL),
		option.WithAPIToken(cfg.APIToken),
		option.WithHTTPClient(wrapClient(cfg.HTTPClient, &s.requests, cfg.Logger, cfg.AccountID)),
		option.WithMaxRetries(0),
	}
	s.db = d1.NewDatabaseService(opts...)
	s.ns = kv.NewNamespaceService(opts...)
	s.scripts = workers.NewScriptService(opts...)
	s.routes = workers.NewRouteService(opts...)
	s.subdomain = workers.NewSubdomainService(opts...)
	s.d1 = &DB{s: s}
	s.kv = &KV{s: s}
	if cfg.Database != "" {
		if err := s.resolveDatabase(ctx, cfg.Database); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// resolveDatabase finds the database by id when ref looks like one, else by
// name through the list endpoint's name filter.
func (s *Store) resolveDatabase(ctx context.Context, ref string) error {
	if uuidRE().MatchString(ref) {
		var got *d1.D1
		err := s.call(ctx, "get d1 database", idempotent, func(ctx context.Context) error {
			var err error
			var params d1.DatabaseGetParams
			present(&params.AccountID, s.cfg.AccountID)
			got, err = s.db.Get(ctx, ref, params)
			return err
		})
		if err == nil {
			s.dbID, s.dbName = got.UUID, got.Name
			return nil
		}
		if statusOf(err) != http.StatusNotFound {
			return fmt.Errorf("open d1 database %s: %w", ref, err)
		}
	}
	var page []d1.DatabaseListResponse
	err := s.call(ctx, "list d1 databases", idempotent, func(ctx context.Context) error {
		var params d1.DatabaseListParams
		present(&params.AccountID, s.cfg.AccountID)
		present(&params.Name, ref)
		present(&params.PerPage, 100.0)
		res, err := s.db.List(ctx, params)
		if err != nil {
			return err
		}
		page = res.Result
		return nil
	})
	if err != nil {
		return fmt.Errorf("open d1 database %s: %w", ref, err)
	}
	for _, db := range page {
		if db.Name == ref || db.UUID == ref {
			s.dbID, s.dbName = db.UUID, db.Name
			return nil
		}
	}
	return fmt.Errorf("open d1 database %s: %w", ref, ErrDatabaseNotFound)
}

// D1 returns the database.
func (s *Store) D1() backend.D1 { return s.d1 }

// KV returns the account's Workers KV.
func (s *Store) KV() backend.KV { return s.kv }

// DatabaseID returns the resolved D1 database id ("" without a database).
func (s *Store) DatabaseID() string { return s.dbID }

// DatabaseName returns the resolved D1 database name ("" without a
// database), also when the configuration named the database by id.
func (s *Store) DatabaseName() string { return s.dbName }

// Describe names the target without secrets or the account id.
func (s *Store) Describe() string {
	d := "cloudflare"
	if s.dbName != "" {
		d += " database " + s.dbName
	}
	if s.cfg.Environment != "" {
		d += " (" + s.cfg.Environment + ")"
	}
	return d
}

// Close releases nothing today; the HTTP client is the caller's.
func (s *Store) Close() error { return nil }

// Requests returns the number of HTTP requests sent so far, retries
// included.
func (s *Store) Requests() int64 { return s.requests.Load() }

// Bookmark returns the D1 Time Travel bookmark for the database's current
// state, to restore to if a migration goes wrong.
func (s *Store) Bookmark(ctx context.Context) (string, error) {
	if s.dbID == "" {
		return "", ErrNoDatabase
	}
	var bm string
	err := s.call(ctx, "get d1 bookmark", idempotent, func(ctx context.Context) error {
		var params d1.DatabaseTimeTravelGetBookmarkParams
		present(&params.AccountID, s.cfg.AccountID)
		res, err := s.db.TimeTravel.GetBookmark(ctx, s.dbID, params)
		if err != nil {
			return err
		}
		bm = res.Bookmark
		return nil
	})
	if err != nil {
		return "", err
	}
	if bm == "" {
		return "", errors.New("get d1 bookmark: empty bookmark in response")
	}
	return bm, nil
}

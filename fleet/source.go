package fleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
)

// Database is one database of a fleet.
type Database struct {
	Name string `json:"name"`
	// ID is the D1 database id on Cloudflare; "" on the local backend and
	// for a database that does not exist.
	ID string `json:"id,omitempty"`
	// Jurisdiction is the live database's jurisdiction, "" for none.
	Jurisdiction string `json:"jurisdiction,omitempty"`
	// Missing says the database is listed (names or file) but does not
	// exist.
	Missing bool `json:"missing,omitempty"`
	// Create says a Missing database is to be created (the databases
	// block sets create = true), in Jurisdiction: Open for writing creates
	// it. Open refuses a Missing database without Create.
	Create bool `json:"create,omitempty"`
}

// Source is where a fleet's databases live.
type Source interface {
	// List returns every database that exists, sorted by name.
	List(ctx context.Context) ([]Database, error)
	// Open opens one database of the fleet with the fleet's shared KV.
	// readOnly opens it for plans: nothing is created or written. A
	// Missing database opens as an empty D1 when readOnly; for writing,
	// it is created when its Create is set and refused (ErrNotADatabase)
	// otherwise.
	Open(ctx context.Context, db Database, readOnly bool) (backend.Backend, error)
	// KV is the fleet's shared KV store; its namespaces are listed once
	// and remembered (the first call lists them).
	KV() backend.KV
	Close() error
}

// ErrNotADatabase is returned by Open for a name that is no database of the
// fleet (missing, when opened for writing).
var ErrNotADatabase = errors.New("fleet: no such database")

// ErrDatabaseName is returned by Open, and given as the reason a plan
// shows a database unreachable, when a prefix or pattern selected a
// database whose name no database of a fleet can have (a backup copy
// "t-a.bak", a directory "t-b old"): its tenant's KV keys and the runtime's
// Tenant need a valid name (hclspec.ValidDatabaseName), so it is never
// planned nor changed.
var ErrDatabaseName = errors.New("is not a database name of a fleet (1 to 64 letters, digits, \"-\" or \"_\")")

// checkName refuses a name no database of a fleet can have.
func checkName(name string) error {
	if !hclspec.ValidDatabaseName(name) {
		return fmt.Errorf("%q %w: rename it, or narrow the databases block's selector so it is not selected", name, ErrDatabaseName)
	}
	return nil
}

// tenantBackend is one database's D1 with the fleet's KV.
type tenantBackend struct {
	d1    backend.D1
	kv    backend.KV
	desc  string
	name  string
	close func() error
}

// DatabaseName is the fleet database the backend reaches: runtime's
// Tenant refuses a tenant of another name on it.
func (b *tenantBackend) DatabaseName() string { return b.name }

func (b *tenantBackend) D1() backend.D1   { return b.d1 }
func (b *tenantBackend) KV() backend.KV   { return b.kv }
func (b *tenantBackend) Describe() string { return b.desc }
func (b *tenantBackend) Close() error     { return b.close() }

// cachedKV is a KV whose namespace list is read once: a fleet plan lists
// the account's namespaces once, not once per database.
type cachedKV struct {
	backend.KV
	once sync.Once
	mu   sync.Mutex
	nss  []backend.Namespace
	err  error
}

// Namespaces lists the namespaces on first use and returns that list
// after, plus the namespaces created through this KV since.
func (k *cachedKV) Namespaces(ctx context.Context) ([]backend.Namespace, error) {
	k.once.Do(func() {
		nss, err := k.KV.Namespaces(ctx)
		k.mu.Lock()
		k.nss, k.err = nss, err
		k.mu.Unlock()
	})
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return nil, k.err
	}
	return append([]backend.Namespace(nil), k.nss...), nil
}

// CreateNamespace creates the namespace and adds it to the remembered list.
func (k *cachedKV) CreateNamespace(ctx context.Context, title string) (backend.Namespace, error) {
	ns, err := k.KV.CreateNamespace(ctx, title)
	if err != nil {
		return ns, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, n := range k.nss {
		if n.ID == ns.ID {
			return ns, nil
		}
	}
	k.nss = append(k.nss, ns)
	return ns, nil
}

// Local is a fleet on the local backend: Dir holds one subdirectory per
// database, each with its d1.sqlite, and the fleet's shared kv.sqlite.
type Local struct {
	Dir  string
	kvbe backend.Backend
	kv   *cachedKV
	// readOnly says the shared KV was opened for plans only.
	readOnly bool
}

// OpenLocal opens the fleet in dir. readOnly opens the shared KV without
// creating or writing anything.
func OpenLocal(ctx context.Context, dir string, readOnly bool) (*Local, error) {
	var kvbe backend.Backend
	var err error
	if readOnly {
		kvbe, err = local.OpenReadOnlyOrEmpty(ctx, dir)
	} else {
		kvbe, err = openLocalKV(ctx, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open the fleet's kv in %s: %w", dir, err)
	}
	return &Local{Dir: dir, kvbe: kvbe, kv: &cachedKV{KV: kvbe.KV()}, readOnly: readOnly}, nil
}

// openLocalKV opens dir's kv.sqlite for writing. local.Open also creates
// dir/d1.sqlite, which a fleet does not use; it is removed again when it
// is empty and new.
func openLocalKV(ctx context.Context, dir string) (backend.Backend, error) {
	d1Path := filepath.Join(dir, local.D1File)
	_, statErr := os.Stat(d1Path)
	be, err := local.Open(ctx, dir)
	if err != nil {
		return nil, err
	}
	if os.IsNotExist(statErr) {
		// Only the KV file is wanted: leave no root d1.sqlite behind.
		defer func() {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(d1Path + suffix)
			}
		}()
	}
	return be, nil
}

// openLocalD1 opens dir's d1.sqlite for writing. local.Open also creates
// dir/kv.sqlite, which a database of a fleet does not use (the fleet's KV
// is shared); it is removed again when it is new.
func openLocalD1(ctx context.Context, dir string) (*local.Store, error) {
	kvPath := filepath.Join(dir, local.KVFile)
	_, statErr := os.Stat(kvPath)
	s, err := local.Open(ctx, dir)
	if err != nil {
		return nil, err
	}
	if os.IsNotExist(statErr) {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(kvPath + suffix)
		}
	}
	return s, nil
}

// List returns the subdirectories of Dir that hold a d1.sqlite.
func (l *Local) List(ctx context.Context) ([]Database, error) {
	entries, err := os.ReadDir(l.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the fleet's databases: %w", err)
	}
	var out []Database
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(l.Dir, e.Name(), local.D1File)); err == nil {
			out = append(out, Database{Name: e.Name()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Open opens Dir/<name>/d1.sqlite with the shared KV.
func (l *Local) Open(ctx context.Context, db Database, readOnly bool) (backend.Backend, error) {
	if err := checkName(db.Name); err != nil {
		return nil, err
	}
	dir := filepath.Join(l.Dir, db.Name)
	var s *local.Store
	var err error
	switch {
	case readOnly:
		s, err = local.OpenReadOnlyOrEmpty(ctx, dir)
	case l.readOnly:
		return nil, fmt.Errorf("open database %s for writing: the fleet was opened read-only", db.Name)
	case db.Missing && !db.Create:
		return nil, fmt.Errorf("open database %s: %w (create = true in the databases block creates it)", db.Name, ErrNotADatabase)
	default:
		s, err = openLocalD1(ctx, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", db.Name, err)
	}
	return &tenantBackend{name: db.Name, d1: s.D1(), kv: l.kv, desc: "local " + filepath.Join(dir, local.D1File), close: s.Close}, nil
}

// KV is the fleet's shared KV.
func (l *Local) KV() backend.KV { return l.kv }

// Close closes the shared KV.
func (l *Local) Close() error { return l.kvbe.Close() }

// Cloudflare is a fleet of an account's D1 databases, reached through
// Account (a Store opened without a database: its requests, governor and
// HTTP client are shared by every database).
type Cloudflare struct {
	Account *cloudflare.Store
	kv      *cachedKV

	// created holds the databases Open created, by name: a rollout opens
	// a database more than once (its lease, then its apply), and the
	// second Open must find the first one's database, not create again.
	mu      sync.Mutex
	created map[string]*creation
}

// creation is one database's create, run once however many Opens ask.
type creation struct {
	once sync.Once
	db   cloudflare.Database
	err  error
}

// NewCloudflare returns the fleet of the account's databases.
func NewCloudflare(account *cloudflare.Store) *Cloudflare {
	return &Cloudflare{Account: account, kv: &cachedKV{KV: account.KV()}}
}

// Find looks the database named name up with the list API's name filter
// (one request): Resolve uses it for a short names list.
func (c *Cloudflare) Find(ctx context.Context, name string) (Database, bool, error) {
	d, ok, err := c.Account.FindDatabase(ctx, name)
	if err != nil || !ok {
		return Database{}, false, err
	}
	return Database{Name: d.Name, ID: d.ID, Jurisdiction: d.Jurisdiction}, true, nil
}

// List lists the account's D1 databases, every page.
func (c *Cloudflare) List(ctx context.Context) ([]Database, error) {
	dbs, err := c.Account.ListDatabases(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Database, 0, len(dbs))
	for _, d := range dbs {
		out = append(out, Database{Name: d.Name, ID: d.ID, Jurisdiction: d.Jurisdiction})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Open returns the database's D1 (no request) with the shared KV. A
// Missing database opened readOnly is an empty in-memory D1, which is what
// creating it gives; opened for writing, it is created (one request, in
// its Jurisdiction) when its Create is set.
func (c *Cloudflare) Open(ctx context.Context, db Database, readOnly bool) (backend.Backend, error) {
	if err := checkName(db.Name); err != nil {
		return nil, err
	}
	if (db.Missing || db.ID == "") && !readOnly {
		if !db.Missing || !db.Create {
			return nil, fmt.Errorf("open database %s: %w (create = true in the databases block creates it)", db.Name, ErrNotADatabase)
		}
		created, err := c.create(ctx, db)
		if err != nil {
			return nil, fmt.Errorf("open database %s: %w", db.Name, err)
		}
		s := c.Account.WithDatabase(created.ID, created.Name)
		return &tenantBackend{name: db.Name, d1: s.D1(), kv: c.kv, desc: s.Describe(), close: s.Close}, nil
	}
	if db.Missing || db.ID == "" {
		mem, err := local.OpenMemory(ctx)
		if err != nil {
			return nil, err
		}
		return &tenantBackend{name: db.Name, d1: mem.D1(), kv: c.kv, desc: "cloudflare database " + db.Name + " (to create)", close: mem.Close}, nil
	}
	s := c.Account.WithDatabase(db.ID, db.Name)
	return &tenantBackend{name: db.Name, d1: s.D1(), kv: c.kv, desc: s.Describe(), close: s.Close}, nil
}

// create creates the Missing database db once per Cloudflare: a later
// Open of it reuses the database. When the create fails because the
// database exists by now (made since the fleet was listed), the list
// finds it; it is used only in the fleet's jurisdiction.
func (c *Cloudflare) create(ctx context.Context, db Database) (cloudflare.Database, error) {
	c.mu.Lock()
	if c.created == nil {
		c.created = map[string]*creation{}
	}
	cr, ok := c.created[db.Name]
	if !ok {
		cr = &creation{}
		c.created[db.Name] = cr
	}
	c.mu.Unlock()
	// Databases are created concurrently; the same one once.
	cr.once.Do(func() { cr.db, cr.err = c.createOnce(ctx, db) })
	if cr.err != nil {
		// A failed create may be tried again by a later Open.
		c.mu.Lock()
		if c.created[db.Name] == cr {
			delete(c.created, db.Name)
		}
		c.mu.Unlock()
	}
	return cr.db, cr.err
}

func (c *Cloudflare) createOnce(ctx context.Context, db Database) (cloudflare.Database, error) {
	d, err := c.Account.CreateDatabase(ctx, db.Name, db.Jurisdiction)
	if err != nil {
		// One request for that name, not the whole account's list.
		l, found, lerr := c.Account.FindDatabase(ctx, db.Name)
		if lerr != nil || !found {
			return d, err
		}
		d = l
		if d.Jurisdiction != db.Jurisdiction {
			return d, fmt.Errorf("%w; it exists now, in jurisdiction %q, not %q", err, d.Jurisdiction, db.Jurisdiction)
		}
	}
	return d, nil
}

// KV is the account's KV, its namespaces listed once.
func (c *Cloudflare) KV() backend.KV { return c.kv }

// Close releases nothing.
func (c *Cloudflare) Close() error { return nil }

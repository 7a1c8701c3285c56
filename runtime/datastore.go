package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
)

// DefaultEnvironment is the environment whose KV namespaces Open uses
// unless WithEnvironment names another.
const DefaultEnvironment = "local"

// Datastore serves the models of a Spec on a backend. Get a handle with
// Auth (one user's records) or System (every record). It is safe for
// concurrent use.
type Datastore struct {
	spec   *hclspec.Spec
	b      backend.Backend // for backend.RunOps: one round trip per operation on a backend that pipelines
	d1     backend.D1
	kv     backend.KV
	log    *slog.Logger
	env    string
	now    func() time.Time
	newID  func() string
	models map[string]*model
	runner HookRunner
	nsMu   sync.Mutex // one namespace listing at a time (resolveNamespaces)
	locks  recordLocks
	memo   memo
	advice adviser
	// fleetRoot: opened on a fleet environment, not for one tenant; its
	// record operations fail with ErrTenantRequired (see Tenant).
	fleetRoot bool
}

// Option configures Open.
type Option func(*openConfig)

type openConfig struct {
	log    *slog.Logger
	env    string
	now    func() time.Time
	newID  func() string
	hooks  []pendingHook
	uses   []pendingUse
	runner HookRunner
	// namespaces, when knownNS (even empty), are the account's KV
	// namespaces as the caller already knows them: Open does not list them.
	namespaces []backend.Namespace
	knownNS    bool
	noAdvice   bool // WithIndexAdvice(false)
	// envSet: WithEnvironment named the environment (a fleet environment
	// is refused untenanted only when named, see ErrTenantRequired).
	envSet bool
}

type pendingHook struct {
	model, event string
	fn           HookFunc
}

type pendingUse struct {
	model string
	mw    Middleware
}

// WithLogger sets the logger every operation logs to (default:
// slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *openConfig) { c.log = l } }

// WithEnvironment names the environment whose KV namespaces the models use
// (titles "<project>-<environment>-<NAMESPACE>"); default "local".
func WithEnvironment(name string) Option {
	return func(c *openConfig) { c.env, c.envSet = name, true }
}

// WithClock sets the clock for created_at, updated_at and deleted_at
// (tests).
func WithClock(now func() time.Time) Option { return func(c *openConfig) { c.now = now } }

// WithIDGenerator replaces the UUID v4 generator for new record ids
// (tests and imports).
func WithIDGenerator(f func() string) Option { return func(c *openConfig) { c.newID = f } }

// WithHook registers a Go hook for a model and event at Open; see
// Datastore.Hook.
func WithHook(model, event string, fn HookFunc) Option {
	return func(c *openConfig) { c.hooks = append(c.hooks, pendingHook{model, event, fn}) }
}

// WithMiddleware wraps every write of a model (all models when model is
// "") at Open; see Datastore.Use.
func WithMiddleware(model string, mw Middleware) Option {
	return func(c *openConfig) { c.uses = append(c.uses, pendingUse{model, mw}) }
}

// WithHookRunner plugs in a runner for the hooks a model declares in HCL
// (hook blocks). It is called for every event a model has hook blocks for,
// after the Go hooks of the event.
func WithHookRunner(r HookRunner) Option { return func(c *openConfig) { c.runner = r } }

// WithNamespaces gives Open the KV namespaces (title and id) the caller
// has just listed, for example from backend.Inspect, so that Open does not
// list them again: one request less on Cloudflare. A model whose namespace
// is not among them looks it up on first use, as after any Open.
func WithNamespaces(nss []backend.Namespace) Option {
	return func(c *openConfig) { c.namespaces, c.knownNS = nss, true }
}

// Open prepares a Datastore: it compiles every model's SQL and resolves the
// KV namespace ids with one KV call (none with WithNamespaces). It never
// creates or alters anything; namespaces that did not exist yet are looked
// up on first use, with one listing for all the models missing one, and
// a missing table or column surfaces as ErrNotMigrated from the operation
// (or all at once from Check).
func Open(ctx context.Context, spec *hclspec.Spec, b backend.Backend, opts ...Option) (*Datastore, error) {
	if spec == nil || b == nil {
		return nil, fmt.Errorf("open datastore: %w: nil spec or backend", ErrInvalid)
	}
	cfg := openConfig{env: DefaultEnvironment}
	for _, o := range opts {
		o(&cfg)
	}
	ds := &Datastore{
		spec:   spec,
		b:      b,
		d1:     backend.MeteredD1(b.D1()),
		kv:     b.KV(),
		log:    cfg.log,
		env:    cfg.env,
		now:    cfg.now,
		newID:  cfg.newID,
		models: make(map[string]*model, len(spec.Models)),
		runner: cfg.runner,
		advice: adviser{off: cfg.noAdvice},
	}
	ds.fleetRoot = cfg.envSet && fleetRoot(spec, cfg.env)
	if ds.log == nil {
		ds.log = slog.Default()
	}
	if ds.now == nil {
		ds.now = time.Now
	}
	if ds.newID == nil {
		ds.newID = hclspec.NewUUID
	}
	for _, m := range spec.Models {
		c, err := compileModel(m)
		if err != nil {
			return nil, fmt.Errorf("open datastore: %w", err)
		}
		c.nsTitle = spec.NamespaceTitle(ds.env, m.KV.Namespace)
		ds.models[m.Name] = c
	}
	if ds.kvModels() {
		nss := cfg.namespaces
		if !cfg.knownNS {
			var err error
			if nss, err = ds.kv.Namespaces(ctx); err != nil {
				return nil, fmt.Errorf("open datastore: list kv namespaces: %w", err)
			}
		}
		ds.learnNamespaces(nss)
	}
	for _, u := range cfg.uses {
		if err := ds.Use(u.model, u.mw); err != nil {
			return nil, fmt.Errorf("open datastore: %w", err)
		}
	}
	for _, h := range cfg.hooks {
		if err := ds.Hook(h.model, h.event, h.fn); err != nil {
			return nil, fmt.Errorf("open datastore: %w", err)
		}
	}
	if ds.runner == nil {
		for _, name := range ds.modelNames() {
			if n := len(ds.models[name].spec.Hooks); n > 0 {
				ds.log.LogAttrs(ctx, slog.LevelWarn, "runtime.open",
					slog.String("model", name), slog.Int("hook_blocks", n),
					slog.String("outcome", "hcl_hooks_not_run"),
					slog.String("hint", "pass runtime.WithHookRunner (runtime/webhook) to run them"))
			}
		}
	} else {
		for _, m := range ds.models {
			seen := map[string]bool{}
			for _, h := range m.spec.Hooks {
				if seen[h.Event] {
					continue
				}
				seen[h.Event] = true
				if err := ds.addHook(m, h.Event, ds.runner.RunHook, "hcl"); err != nil {
					return nil, fmt.Errorf("open datastore: %w", err)
				}
			}
		}
	}
	return ds, nil
}

// kvModels reports whether any model has a KV side.
func (ds *Datastore) kvModels() bool {
	for _, m := range ds.models {
		if !m.d1only {
			return true
		}
	}
	return false
}

// Models returns the names of the models, sorted.
func (ds *Datastore) Models() []string { return ds.modelNames() }

// Spec returns the Spec the Datastore serves.
func (ds *Datastore) Spec() *hclspec.Spec { return ds.spec }

// Auth returns a handle scoped to one user: it reads, lists, updates,
// deletes and restores only that user's records of owned models, and
// creates records owned by that user.
func (ds *Datastore) Auth(userID string) *Handle { return &Handle{ds: ds, user: userID, scoped: true} }

// System returns an unscoped handle for jobs, seeds and admin tools: it
// sees every record, and new records of owned models need a user_id.
func (ds *Datastore) System() *Handle { return &Handle{ds: ds} }

// learnNamespaces records the ids of the listed namespaces for the models
// that have none yet.
func (ds *Datastore) learnNamespaces(nss []backend.Namespace) {
	ids := make(map[string]string, len(nss))
	for _, ns := range nss {
		ids[ns.Title] = ns.ID
	}
	for _, m := range ds.models {
		if m.nsID.Load() != nil {
			continue
		}
		if id, ok := ids[m.nsTitle]; ok {
			m.nsID.Store(&id)
		}
	}
}

// resolveNamespaces lists the namespaces once for every model still
// without an id (they may have been created since Open), so that several
// models created by one apply cost one listing, not one each.
func (ds *Datastore) resolveNamespaces(ctx context.Context) error {
	ds.nsMu.Lock()
	defer ds.nsMu.Unlock()
	missing := false
	for _, m := range ds.models {
		if m.nsID.Load() == nil {
			missing = true
			break
		}
	}
	if !missing {
		return nil
	}
	nss, err := ds.kv.Namespaces(ctx)
	if err != nil {
		return fmt.Errorf("list kv namespaces: %w", err)
	}
	ds.learnNamespaces(nss)
	return nil
}

// modelNames returns the model names, sorted.
func (ds *Datastore) modelNames() []string {
	names := make([]string, 0, len(ds.models))
	for n := range ds.models {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (ds *Datastore) model(name string) (*model, error) {
	if ds.fleetRoot {
		return nil, fmt.Errorf("model %s: %w", name, ErrTenantRequired)
	}
	return ds.lookupModel(name)
}

// lookupModel is model without the fleet check, for registering hooks
// and middleware (a fleet's tenants share them).
func (ds *Datastore) lookupModel(name string) (*model, error) {
	if m, ok := ds.models[name]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownModel, name)
}

// Handle is a view of the Datastore for one auth scope. It is cheap to
// make and safe for concurrent use.
type Handle struct {
	ds     *Datastore
	user   string
	scoped bool
}

// UserID returns the user the handle is scoped to ("" for System).
func (h *Handle) UserID() string { return h.user }

// Scoped reports whether the handle is scoped to a user.
func (h *Handle) Scoped() bool { return h.scoped }

// checkScope refuses every operation of a scoped handle without a user.
func (h *Handle) checkScope() error {
	if h.scoped && h.user == "" {
		return fmt.Errorf("%w: auth handle has an empty user id", ErrForbidden)
	}
	return nil
}

// filtered reports whether reads of m are restricted to the user.
func (h *Handle) filtered(m *model) bool { return h.scoped && (m.owned || m.auth) }

// access is what a handle may do with a stored record.
type access int

const (
	noAccess   access = iota // another user's record: it reads as missing
	readAccess               // shared with the user through _auth: get and list only
	fullAccess               // the user's own record (or a System handle, or a model without auth scoping)
)

// accessTo returns the handle's access to the stored object. On a model
// with user_tracking the owner (user_id) has full access and, when the
// model has auth, every other user listed in _auth may read it. On a
// model with auth but no user_tracking there is no owner: the users in
// _auth have full access (changing _auth itself stays with System).
func (h *Handle) accessTo(m *model, data map[string]any) access {
	if !h.filtered(m) {
		return fullAccess
	}
	if m.owned && data["user_id"] == h.user {
		return fullAccess
	}
	if !m.auth || !inAuth(data["_auth"], h.user) {
		return noAccess
	}
	if m.owned {
		return readAccess
	}
	return fullAccess
}

// inAuth reports whether user is listed in an _auth value.
func inAuth(v any, user string) bool {
	list, _ := v.([]any)
	for _, e := range list {
		if e == user {
			return true
		}
	}
	return false
}

// canSee reports whether the handle may see the stored object.
func (h *Handle) canSee(m *model, data map[string]any) bool {
	return h.accessTo(m, data) != noAccess
}

// canWrite returns nil when the handle may change the stored object,
// ErrForbidden when it may only read it (shared through _auth), and
// ErrNotFound when it may not see it at all.
func (h *Handle) canWrite(m *model, data map[string]any) error {
	switch h.accessTo(m, data) {
	case fullAccess:
		return nil
	case readAccess:
		return fmt.Errorf("%w: the record is shared with this user for reading (_auth); only its owner can change it", ErrForbidden)
	}
	return ErrNotFound
}

package gwtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/gateway"
	"github.com/dmplan/dmplan/internal/nodeproc"
)

// readyTimeout bounds how long Launch waits for the READY line.
const readyTimeout = 90 * time.Second

// Tenant is one gateway of a launcher: its URL, secrets and config.
type Tenant struct {
	Index int
	// URL is the gateway's base URL (http://127.0.0.1:PORT/t/N).
	URL string
	// Secret and Previous are its DMPLAN_SECRET and DMPLAN_SECRET_PREVIOUS.
	Secret   string
	Previous string
	// Config is its DMPLAN_CONFIG: the D1 database and the namespaces
	// bound as KV_0 … with titles slot-0 ….
	Config gateway.Config
}

// Gateway is one running launcher process.
type Gateway struct {
	// URL is the launcher's root ("http://127.0.0.1:PORT").
	URL     string
	Tenants []Tenant

	free   chan int
	proc   *nodeproc.Proc
	client *http.Client
}

// Options configure Launch.
type Options struct {
	Tenants int // default 4
	KV      int // namespaces per tenant, default 16
	// Script is the script file to run (default: the embedded one's
	// source file, backend/gateway/worker/gateway.js).
	Script string
}

// Dir returns this package's directory (where gateway.mjs is).
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// ErrNotInstalled is returned by Launch when miniflare is not installed.
var ErrNotInstalled = errors.New("gwtest: miniflare is not installed; run `make test` or `npm ci --prefix backend/cloudflare/harness`")

// Launch starts a launcher and waits until it serves requests. The caller
// stops it with Close.
func Launch(opts Options) (*Gateway, error) {
	dir := Dir()
	harness := filepath.Join(dir, "..", "..", "cloudflare", "harness")
	if _, err := os.Stat(filepath.Join(harness, "node_modules", "miniflare")); err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNotInstalled, err)
	}
	if opts.Tenants <= 0 {
		opts.Tenants = 4
	}
	if opts.KV <= 0 {
		opts.KV = 16
	}
	args := []string{filepath.Join(dir, "gateway.mjs"), "--tenants", strconv.Itoa(opts.Tenants), "--kv", strconv.Itoa(opts.KV)}
	if opts.Script != "" {
		args = append(args, "--script", opts.Script)
	}
	proc, line, err := nodeproc.Start("gwtest", "launcher", dir, args, readyTimeout)
	if err != nil {
		return nil, err
	}
	g := &Gateway{proc: proc, client: &http.Client{Timeout: 60 * time.Second}}
	var info struct {
		URL     string `json:"url"`
		Tenants []struct {
			Path     string         `json:"path"`
			Secret   string         `json:"secret"`
			Previous string         `json:"previous"`
			Config   gateway.Config `json:"config"`
		} `json:"tenants"`
	}
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		g.Close()
		return nil, fmt.Errorf("gwtest: READY line: %w", err)
	}
	g.URL = info.URL
	g.free = make(chan int, len(info.Tenants))
	for i, t := range info.Tenants {
		g.Tenants = append(g.Tenants, Tenant{Index: i, URL: info.URL + t.Path, Secret: t.Secret, Previous: t.Previous, Config: t.Config})
		g.free <- i
	}
	return g, nil
}

// Close stops the launcher's process group (node and workerd).
func (g *Gateway) Close() error { return g.proc.Close() }

// Tenant takes a free tenant for the test (waiting for one when all are
// taken) and gives it back, wiped, when the test ends.
func (g *Gateway) Tenant(t testing.TB) Tenant {
	t.Helper()
	var i int
	select {
	case i = <-g.free:
	case <-time.After(2 * time.Minute):
		t.Fatal("gwtest: no free tenant after 2 minutes")
	}
	t.Cleanup(func() {
		if err := g.Wipe(i); err != nil {
			// A tenant the wipe left half full would fail the next test
			// that takes it; it is not given back.
			t.Errorf("%v (tenant %d is retired)", err, i)
			return
		}
		g.free <- i
	})
	return g.Tenants[i]
}

// Wipe empties tenant i: it drops every table, view and trigger of its D1
// database and deletes every key of its namespaces.
func (g *Gateway) Wipe(i int) error {
	if err := g.control(http.MethodPost, "/__gw/wipe/"+strconv.Itoa(i), nil, nil); err != nil {
		return fmt.Errorf("gwtest: wipe tenant %d: %w", i, err)
	}
	return nil
}

var shared struct {
	sync.Mutex
	g   *Gateway
	err error
}

// Shared returns the launcher shared by the tests of the binary, started
// on first use with default options. TestMain must call Main.
func Shared(t testing.TB) *Gateway {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.g == nil && shared.err == nil {
		shared.g, shared.err = Launch(Options{})
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.g
}

// Main runs the tests and stops the shared launcher:
//
//	func TestMain(m *testing.M) { os.Exit(gwtest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	shared.Lock()
	defer shared.Unlock()
	if shared.g != nil {
		shared.g.Close()
		shared.g = nil
	}
	return code
}

// Request is one request a tenant served, from the launcher's log.
type Request struct {
	Tenant  int    `json:"tenant"`
	Method  string `json:"method"`
	Path    string `json:"path"`
	Status  int    `json:"status"`
	Dropped bool   `json:"dropped,omitempty"`
}

// Requests returns the requests tenant served since the launcher started
// or was last reset.
func (g *Gateway) Requests(t testing.TB, tenant int) []Request {
	t.Helper()
	var out struct {
		Requests []Request `json:"requests"`
	}
	if err := g.control(http.MethodGet, "/__gw/log", nil, &out); err != nil {
		t.Fatalf("gwtest: read log: %v", err)
	}
	var mine []Request
	for _, r := range out.Requests {
		if r.Tenant == tenant {
			mine = append(mine, r)
		}
	}
	return mine
}

// Fault fails the next Count requests of a tenant: with Status (429, 500,
// 502, 503), or by dropping the connection (Drop). With After the request
// runs in the Worker first and only its answer is lost.
type Fault struct {
	Tenant int
	Status int
	Count  int
	Drop   bool
	After  bool
}

// SetFault arms a fault.
func (g *Gateway) SetFault(t testing.TB, f Fault) {
	t.Helper()
	body := map[string]any{"tenant": f.Tenant, "after": f.After}
	if f.Drop {
		body["drop"] = f.Count
	} else {
		body["status"] = f.Status
		body["count"] = f.Count
	}
	if err := g.control(http.MethodPost, "/__gw/fault", body, nil); err != nil {
		t.Fatalf("gwtest: set fault: %v", err)
	}
}

func (g *Gateway) control(method, path string, in, out any) error {
	err := nodeproc.JSON(context.Background(), g.client, method, g.URL+path, nil, in, out)
	if err != nil {
		if tail := g.proc.Stderr(); tail != "" {
			return fmt.Errorf("%w (launcher stderr: %s)", err, tail)
		}
	}
	return err
}

// Backend is the gateway backend of a tenant with namespace creation done
// the way `dmplan apply` does it in production, outside the gateway:
// CreateNamespace hands out one of the tenant's pre-bound namespaces (in
// order) and gives it the title, and Namespaces lists the titled ones.
// Everything else is the gateway's: D1, KV data, Pipeline.
type Backend struct {
	*gateway.Store
	tenant Tenant
	mu     sync.Mutex
	given  []backend.Namespace
}

// Open opens the gateway backend of a tenant (see Backend). opts.URL and
// opts.Secret default to the tenant's.
func (tn Tenant) Open(ctx context.Context, opts gateway.Options) (*Backend, error) {
	if opts.URL == "" {
		opts.URL = tn.URL
	}
	if opts.Secret == "" {
		opts.Secret = tn.Secret
	}
	s, err := gateway.Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &Backend{Store: s, tenant: tn}, nil
}

// KV returns the gateway's KV with CreateNamespace and Namespaces as
// described on Backend.
func (b *Backend) KV() backend.KV { return slottedKV{KV: b.Store.KV(), b: b} }

type slottedKV struct {
	backend.KV
	b *Backend
}

func (k slottedKV) CreateNamespace(ctx context.Context, title string) (backend.Namespace, error) {
	k.b.mu.Lock()
	defer k.b.mu.Unlock()
	for _, ns := range k.b.given {
		if ns.Title == title {
			return ns, nil
		}
	}
	slots := k.b.tenant.Config.Namespaces
	if len(k.b.given) >= len(slots) {
		return backend.Namespace{}, fmt.Errorf("gwtest: tenant %d has only %d namespaces", k.b.tenant.Index, len(slots))
	}
	ns := backend.Namespace{ID: slots[len(k.b.given)].ID, Title: title}
	k.b.given = append(k.b.given, ns)
	return ns, nil
}

func (k slottedKV) Namespaces(ctx context.Context) ([]backend.Namespace, error) {
	if _, err := k.KV.Namespaces(ctx); err != nil { // the gateway's own answer must work too
		return nil, err
	}
	k.b.mu.Lock()
	defer k.b.mu.Unlock()
	return append([]backend.Namespace(nil), k.b.given...), nil
}

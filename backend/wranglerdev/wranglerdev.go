// Package wranglerdev is a backend.Backend over the D1 database and KV
// namespaces `wrangler dev` uses for a project in local mode, so that what
// dmplan applies and the Go runtime writes is what the project's Worker
// reads under `wrangler dev`, and the reverse.
//
// It does not read miniflare's files, whose layout is not a public
// format. It starts a small Node process (proxy.mjs, embedded) with the
// project's own node_modules; the process asks the project's wrangler for
// the bindings through getPlatformProxy(), wrangler's public API for
// exactly this (frameworks' dev servers use it), which reads the
// project's wrangler configuration and keeps the data where `wrangler dev`
// keeps it (.wrangler/state beside the configuration, or --persist-to).
// The process serves dmplan's gateway protocol on a loopback port with a
// random secret, running the gateway Worker's own script against those
// bindings, and this package talks to it with the gateway client
// (backend/gateway). It runs beside a running `wrangler dev`, as
// `wrangler d1 execute --local` does.
//
// KV namespaces are matched by binding name: a model's namespace NAME is
// the configuration's kv_namespaces entry whose binding is the project's
// binding name for it (binding_prefix + NAME). A namespace the
// configuration does not bind does not exist for this backend; creating
// it fails with ErrNamespaceNotBound, which says what to add.
package wranglerdev

import (
	"bufio"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/gateway"
)

//go:embed proxy.mjs
var proxyScript []byte

// ErrNamespaceNotBound is returned when a KV namespace the spec declares
// is not bound in the wrangler configuration.
var ErrNamespaceNotBound = errors.New("kv namespace not bound in the wrangler configuration")

// ErrStart is wrapped by Open's errors when the Node process could not
// serve (Node or wrangler missing, a bad configuration).
var ErrStart = errors.New("wrangler dev state: cannot start")

// Namespace is a KV namespace of the project: its binding name in the
// wrangler configuration and the title dmplan knows it by.
type Namespace struct {
	Binding string
	Title   string
}

// Options configure Open.
type Options struct {
	// Dir is the project directory: wrangler is resolved from its
	// node_modules, and the configuration is looked for from it.
	Dir string
	// Config is the wrangler configuration file; "" finds it as wrangler
	// does (FindConfig). A relative path is relative to Dir.
	Config string
	// Binding is the D1 binding; "" means the only d1_databases entry.
	Binding string
	// WranglerEnv is the wrangler environment (`wrangler dev --env`).
	WranglerEnv string
	// PersistTo is `wrangler dev --persist-to`; "" is wrangler's default,
	// .wrangler/state beside the configuration. Relative to Dir.
	PersistTo string
	// Ephemeral keeps nothing on disk: the state is empty and in memory,
	// for reading a project whose local state does not exist yet without
	// creating it (dmplan plan).
	Ephemeral bool
	// Namespaces are the KV namespaces the project uses (a binding listed
	// twice counts once).
	Namespaces []Namespace
	// Project and Environment name the target in its description.
	Project, Environment string
	// Node is the Node executable (default: $DMPLAN_NODE, else "node").
	Node string
	// Env is the Node process's environment (default os.Environ());
	// WRANGLER_SEND_METRICS=false is always added.
	Env []string
	// Stderr receives the Node process's stderr (default: kept, and its
	// end shown in a start error).
	Stderr io.Writer
	// StartTimeout bounds the start (default 60s).
	StartTimeout time.Duration
}

// Store is a backend.Backend over `wrangler dev`'s local state. Close
// stops the Node process.
type Store struct {
	*gateway.Store
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	done     chan struct{}
	tmp      string
	desc     string
	bindings map[string]string // title -> binding
	once     sync.Once
	closeErr error
	// config is the configuration wrangler uses (for the wrangler
	// environment), db its D1 database entry.
	config      *Config
	db          *D1Database
	wranglerEnv string
}

var _ backend.Backend = (*Store)(nil)

// Paths are the files Open resolved: for messages and tests.
type Paths struct {
	// Config is the configuration file, Persist the directory given to
	// getPlatformProxy (wrangler dev's --persist-to plus "v3") and
	// Database the D1 binding.
	Config, Persist, Database string

	config *Config
	db     *D1Database
}

// Resolve finds the configuration and the persist directory Open will use,
// and checks that the configuration binds the D1 database.
func Resolve(o Options) (Paths, error) {
	var p Paths
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return p, err
	}
	if o.Config != "" {
		p.Config = o.Config
		if !filepath.IsAbs(p.Config) {
			p.Config = filepath.Join(dir, p.Config)
		}
	} else if p.Config, err = FindConfig(dir); err != nil {
		return p, err
	}
	cfg, err := ReadConfig(p.Config)
	if err != nil {
		return p, err
	}
	if cfg, err = cfg.ForEnv(o.WranglerEnv); err != nil {
		return p, err
	}
	d, err := cfg.Database(o.Binding)
	if err != nil {
		return p, err
	}
	p.Database = d.Binding
	p.config, p.db = cfg, d
	// getPlatformProxy's persist path is wrangler dev's --persist-to
	// (default .wrangler/state beside the configuration) plus "v3", as
	// wrangler's documentation of getPlatformProxy says.
	root := filepath.Join(filepath.Dir(p.Config), ".wrangler", "state")
	if o.PersistTo != "" {
		root = o.PersistTo
		if !filepath.IsAbs(root) {
			root = filepath.Join(dir, root)
		}
	}
	p.Persist = filepath.Join(root, "v3")
	return p, nil
}

// MigrationsTable is the migrations_table of the D1 database's entry
// ("" for wrangler's default, d1_migrations).
func (p Paths) MigrationsTable() string {
	if p.db == nil {
		return ""
	}
	return p.db.MigrationsTable
}

// Open starts the Node process and returns the Store once it serves.
func Open(ctx context.Context, o Options) (*Store, error) {
	paths, err := Resolve(o)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	dir, _ := filepath.Abs(o.Dir)
	tmp, err := os.MkdirTemp("", "dmplan-wrangler-")
	if err != nil {
		return nil, err
	}
	s := &Store{tmp: tmp, done: make(chan struct{}), bindings: map[string]string{}}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	gw := filepath.Join(tmp, gateway.MainModule)
	proxy := filepath.Join(tmp, "proxy.mjs")
	if err := os.WriteFile(gw, gateway.Script(), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(proxy, proxyScript, 0o600); err != nil {
		return nil, err
	}
	node := o.Node
	if node == "" {
		node = os.Getenv("DMPLAN_NODE")
	}
	if node == "" {
		node = "node"
	}
	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	nss := make([]map[string]string, 0, len(o.Namespaces))
	seen := map[string]bool{}
	for _, ns := range o.Namespaces {
		if seen[ns.Binding] { // models sharing a namespace
			continue
		}
		seen[ns.Binding] = true
		nss = append(nss, map[string]string{"binding": ns.Binding, "title": ns.Title})
		s.bindings[ns.Title] = ns.Binding
	}
	input, _ := json.Marshal(map[string]any{
		"project_dir": dir, "config": paths.Config, "environment": o.WranglerEnv, "persist": persistArg(paths.Persist, o.Ephemeral),
		"binding": paths.Database, "namespaces": nss, "secret": hex.EncodeToString(secret), "gateway": gw,
		"project": o.Project, "env": o.Environment,
	})

	cmd := exec.Command(node, proxy)
	cmd.Dir = dir
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(append([]string(nil), env...), "WRANGLER_SEND_METRICS=false", "CLOUDFLARE_API_TOKEN=", "NO_COLOR=1")
	setProcessGroup(cmd)
	var errBuf tailBuffer
	if o.Stderr != nil {
		cmd.Stderr = io.MultiWriter(o.Stderr, &errBuf)
	} else {
		cmd.Stderr = &errBuf
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	// stdout is a pipe of our own, not StdoutPipe: Wait (in its
	// goroutine below) must not close it before its last line is read.
	stdout, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = pw
	err = cmd.Start()
	pw.Close()
	if err != nil {
		stdout.Close()
		return nil, fmt.Errorf("%w: run %s: %w (install Node.js, or set DMPLAN_NODE)", ErrStart, node, err)
	}
	s.cmd, s.stdin = cmd, stdin
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	if _, err := stdin.Write(append(input, '\n')); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	// The answer is the first line starting with DMPLAN-; wrangler may
	// log other lines to stdout first (kept for errors).
	line := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		for {
			l, err := r.ReadString('\n')
			if strings.HasPrefix(l, "DMPLAN-") || err != nil {
				line <- strings.TrimSpace(l)
				break
			}
			_, _ = errBuf.Write([]byte(l))
		}
		// Drained until the process (and workerd, which inherits it)
		// exits, so their writes never block or fail.
		_, _ = io.Copy(io.Discard, r)
		stdout.Close()
	}()
	timeout := o.StartTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	var first string
	select {
	case first = <-line:
	case <-time.After(timeout):
		return nil, fmt.Errorf("%w: the Node process did not serve within %s%s", ErrStart, timeout, errBuf.tail())
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var ready struct {
		URL     string `json:"url"`
		Message string `json:"message"`
	}
	kind, payload, _ := strings.Cut(first, " ")
	if err := json.Unmarshal([]byte(payload), &ready); err != nil || kind != "DMPLAN-READY" {
		if kind == "DMPLAN-FAILED" && ready.Message != "" {
			return nil, fmt.Errorf("%w: %s", ErrStart, ready.Message)
		}
		<-waitOrTimeout(s.done, 5*time.Second)
		return nil, fmt.Errorf("%w: the Node process exited%s", ErrStart, errBuf.tail())
	}
	gs, err := gateway.Open(ctx, gateway.Options{URL: ready.URL, Secret: hex.EncodeToString(secret)})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	s.Store = gs
	s.config, s.db, s.wranglerEnv = paths.config, paths.db, o.WranglerEnv
	rel := paths.Persist
	if r, err := filepath.Rel(dir, rel); err == nil && !strings.HasPrefix(r, "..") {
		rel = r
	}
	s.desc = fmt.Sprintf("wrangler dev state %s (D1 binding %s)", rel, paths.Database)
	if o.WranglerEnv != "" {
		s.desc = fmt.Sprintf("wrangler dev state %s (D1 binding %s of wrangler env %s)", rel, paths.Database, o.WranglerEnv)
	}
	ok = true
	return s, nil
}

// Database is the configuration's d1_databases entry the Store serves.
func (s *Store) Database() D1Database { return *s.db }

// NamespaceID is the id the configuration gives the KV binding ("" when
// it binds none): wrangler's, not the one this backend addresses it by
// (the binding name).
func (s *Store) NamespaceID(binding string) string {
	for _, ns := range s.config.KVNamespaces {
		if ns.Binding == binding {
			return ns.ID
		}
	}
	return ""
}

// MigrationsPath is the folder `wrangler d1 migrations` reads for the
// Store's D1 database (migrations_dir, relative to the configuration).
func (s *Store) MigrationsPath() string { return s.config.MigrationsPath(s.db) }

// KVBindings are the bindings of the configuration's kv_namespaces (for
// its wrangler environment): the namespaces this backend has.
func (s *Store) KVBindings() []string {
	out := make([]string, 0, len(s.config.KVNamespaces))
	for _, ns := range s.config.KVNamespaces {
		out = append(out, ns.Binding)
	}
	return out
}

// AddNamespaceHint says what to add to the configuration to bind a KV
// namespace as binding, in the file's syntax.
func (s *Store) AddNamespaceHint(binding string) string {
	return addNamespaceHint(s.config.Path, s.wranglerEnv, binding)
}

// Describe names the state: its persist directory and the D1 binding.
func (s *Store) Describe() string { return s.desc }

// KV returns the bound namespaces; creating one that is not bound fails
// with ErrNamespaceNotBound.
func (s *Store) KV() backend.KV { return kvStore{KV: s.Store.KV(), s: s} }

type kvStore struct {
	backend.KV
	s *Store
}

// CreateNamespace cannot create a namespace: wrangler dev has the ones its
// configuration binds.
func (k kvStore) CreateNamespace(ctx context.Context, title string) (backend.Namespace, error) {
	ns, err := k.KV.CreateNamespace(ctx, title)
	if err == nil {
		return ns, nil
	}
	if b, ok := k.s.bindings[title]; ok {
		return backend.Namespace{}, fmt.Errorf("%w: %s", ErrNamespaceNotBound, addNamespaceHint(k.s.config.Path, k.s.wranglerEnv, b))
	}
	return backend.Namespace{}, err
}

// addNamespaceHint says what to add to the configuration file for the
// binding, in the file's syntax and under the wrangler environment.
func addNamespaceHint(config, wranglerEnv, binding string) string {
	table := "kv_namespaces"
	if wranglerEnv != "" {
		table = "env." + wranglerEnv + ".kv_namespaces"
	}
	if strings.HasSuffix(config, ".toml") {
		return fmt.Sprintf("add [[%s]] binding = %q id = \"<any id>\" to %s", table, binding, config)
	}
	return fmt.Sprintf("add {\"binding\": %q, \"id\": \"<any id>\"} to %s in %s", binding, table, config)
}

// Close stops the Node process (closing its stdin, then SIGTERM, then
// SIGKILL of its process group) and removes its files.
func (s *Store) Close() error {
	s.once.Do(func() {
		if s.Store != nil {
			s.closeErr = s.Store.Close()
		}
		if s.cmd != nil && s.cmd.Process != nil {
			_ = s.stdin.Close()
			select {
			case <-s.done:
			case <-time.After(10 * time.Second):
				terminate(s.cmd)
				select {
				case <-s.done:
				case <-time.After(5 * time.Second):
					kill(s.cmd)
					<-s.done
				}
			}
		}
		if s.tmp != "" {
			os.RemoveAll(s.tmp)
		}
	})
	return s.closeErr
}

// persistArg is the proxy's persist input: the directory, or false for an
// in-memory state.
func persistArg(dir string, ephemeral bool) any {
	if ephemeral {
		return false
	}
	return dir
}

func waitOrTimeout(done chan struct{}, d time.Duration) <-chan struct{} {
	out := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(d):
		}
		close(out)
	}()
	return out
}

// tailBuffer keeps the last 4 KiB written.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 4096 {
		t.buf = t.buf[len(t.buf)-4096:]
	}
	return len(p), nil
}

func (t *tailBuffer) tail() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.buf))
	if s == "" {
		return ""
	}
	return ":\n" + s
}

package cftest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dmplan/dmplan/internal/nodeproc"
)

// readyTimeout bounds how long Launch waits for the harness to print READY.
const readyTimeout = 60 * time.Second

// Harness is one running harness process.
type Harness struct {
	// BaseURL is the API base to give cloudflare-go: "http://127.0.0.1:PORT/client/v4/".
	BaseURL string
	// Token is the bearer token the harness accepts.
	Token string

	root   string // "http://127.0.0.1:PORT"
	proc   *nodeproc.Proc
	client *http.Client
}

// Dir returns the harness directory (backend/cloudflare/harness).
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "harness")
}

// ErrNotInstalled is returned by Launch when the harness's npm dependencies
// are missing.
var ErrNotInstalled = errors.New("cftest: harness npm dependencies are not installed; run `make test` or `npm ci --prefix backend/cloudflare/harness`")

// Launch starts a harness process and waits until it serves requests. The
// caller stops it with Close.
func Launch() (*Harness, error) { return launchIn(Dir(), Options{}) }

// Options size a harness started with LaunchWith. Zero values keep the
// harness's defaults (32 D1 slots, 96 KV slots).
type Options struct {
	// D1Slots is how many D1 databases can exist at once, over every
	// account. A fleet test with hundreds of databases needs as many slots;
	// each costs about a megabyte of memory idle, and startup grows with
	// it (about 20 s for 1,000).
	D1Slots int
	// KVSlots is how many KV namespaces can exist at once.
	KVSlots int
	// ReadyTimeout bounds the wait for the harness to serve; default 60 s,
	// or 3 minutes with more than 200 D1 slots.
	ReadyTimeout time.Duration
}

// LaunchWith is Launch with a harness of the given size, for tests that
// need more databases than the shared harness has.
func LaunchWith(opts Options) (*Harness, error) { return launchIn(Dir(), opts) }

// StartWith launches a harness of the given size for one test and stops it
// at the test's end.
func StartWith(t testing.TB, opts Options) *Harness {
	t.Helper()
	h, err := LaunchWith(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// Pid returns the harness's process id (node; workerd is its child).
func (h *Harness) Pid() int { return h.proc.Pid() }

func launchIn(dir string, opts Options) (*Harness, error) {
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "miniflare")); err != nil {
		return nil, fmt.Errorf("%w (%s/node_modules/miniflare: %v)", ErrNotInstalled, dir, err)
	}
	token := randomHex(16)
	args := []string{filepath.Join(dir, "harness.mjs"), "--token", token}
	if opts.D1Slots > 0 {
		args = append(args, "--d1-slots", strconv.Itoa(opts.D1Slots))
	}
	if opts.KVSlots > 0 {
		args = append(args, "--kv-slots", strconv.Itoa(opts.KVSlots))
	}
	wait := opts.ReadyTimeout
	if wait <= 0 {
		wait = readyTimeout
		if opts.D1Slots > 200 {
			wait = 3 * time.Minute
		}
	}
	proc, root, err := nodeproc.Start("cftest", "harness", dir, args, wait)
	if err != nil {
		return nil, err
	}
	h := &Harness{Token: token, proc: proc, client: &http.Client{Timeout: 30 * time.Second}}
	h.root = strings.TrimSuffix(root, "/")
	h.BaseURL = h.root + "/client/v4/"
	return h, nil
}

// Close stops the harness process group (node and workerd).
func (h *Harness) Close() error { return h.proc.Close() }

// Start launches a harness for one test and stops it at the test's end.
func Start(t testing.TB) *Harness {
	t.Helper()
	h, err := Launch()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

var shared struct {
	sync.Mutex
	h   *Harness
	err error
}

// Shared returns the harness shared by every test of the test binary,
// launching it on first use. A TestMain must call Main so the process is
// stopped when the tests end.
func Shared(t testing.TB) *Harness {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.h == nil && shared.err == nil {
		shared.h, shared.err = Launch()
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.h
}

// Main runs the tests and stops the shared harness:
//
//	func TestMain(m *testing.M) { os.Exit(cftest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	shared.Lock()
	defer shared.Unlock()
	if shared.h != nil {
		shared.h.Close()
		shared.h = nil
	}
	return code
}

// NewAccount returns a fresh account id. Accounts isolate databases and
// namespaces inside one harness; everything created under the account is
// deleted at the test's end, which frees the harness's slots.
func (h *Harness) NewAccount(t testing.TB) string {
	t.Helper()
	acct := randomHex(16)
	t.Cleanup(func() {
		if err := h.deleteAll(acct); err != nil {
			t.Errorf("cftest: clean up account %s: %v", acct, err)
		}
	})
	return acct
}

// NewDatabase creates a D1 database in the account and returns its id.
func (h *Harness) NewDatabase(t testing.TB, acct, name string) string {
	t.Helper()
	var out struct {
		Result struct {
			UUID string `json:"uuid"`
		} `json:"result"`
	}
	if err := h.api(context.Background(), http.MethodPost, "accounts/"+acct+"/d1/database", map[string]string{"name": name}, &out); err != nil {
		t.Fatalf("cftest: create database %s: %v", name, err)
	}
	return out.Result.UUID
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

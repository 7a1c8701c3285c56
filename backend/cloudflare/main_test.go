package cloudflare

import (
	"context"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
)

func TestMain(m *testing.M) { os.Exit(cftest.Main(m)) }

// noEnv keeps the developer's CLOUDFLARE_* variables out of the tests.
func noEnv(string) string { return "" }

// sleepLog records the waits the retry loop asked for instead of sleeping,
// so retry tests are deterministic and fast.
type sleepLog struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (l *sleepLog) sleep(ctx context.Context, d time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waits = append(l.waits, d)
	return ctx.Err()
}

func (l *sleepLog) all() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Duration(nil), l.waits...)
}

// fixture is a Store on a fresh account and database of the shared harness.
type fixture struct {
	h     *cftest.Harness
	acct  string
	s     *Store
	waits *sleepLog
	seen  int // requests of the account before the last mark
}

func newFixture(t *testing.T) *fixture { return newFixtureClient(t, nil) }

// newFixtureClient is newFixture with the Store sending through hc (nil:
// the default client).
func newFixtureClient(t *testing.T, hc *http.Client) *fixture {
	t.Helper()
	h := cftest.Shared(t)
	acct := h.NewAccount(t)
	h.NewDatabase(t, acct, "dmplan-test")
	s, err := Open(context.Background(), Config{
		AccountID: acct, APIToken: h.Token, Database: "dmplan-test", BaseURL: h.BaseURL,
		Getenv: noEnv, Environment: "test", HTTPClient: hc,
	})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	f := &fixture{h: h, acct: acct, s: s, waits: &sleepLog{}}
	s.sleep = f.waits.sleep
	return f
}

// mark starts a new count of the account's requests. Tests run in
// parallel, each on its own account, so they never reset the shared log.
func (f *fixture) mark(t *testing.T) {
	t.Helper()
	f.seen = len(f.h.Requests(t, f.acct))
}

// requests returns the account's API requests since the last mark.
func (f *fixture) requests(t *testing.T) []cftest.Request {
	t.Helper()
	all := f.h.Requests(t, f.acct)
	if f.seen > len(all) {
		return nil
	}
	return all[f.seen:]
}

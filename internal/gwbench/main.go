// Command gwbench compares the two ways a Go service reaches Cloudflare:
// the REST API (backend/cloudflare, against the workerd REST harness) and
// the gateway Worker (backend/gateway, against the gateway script in
// workerd). Several clients save records through the runtime for a while;
// then each runtime operation is run alone. It prints sustained saves per
// second on this machine, HTTP requests per operation, and the figure each
// implies in production:
//
//   - REST: Cloudflare's API allows 1,200 requests per 5 minutes per user
//     (4 per second, shared by every token and tool of the user), so the
//     account tops out at 4 ÷ (requests per save) saves per second.
//   - Gateway: no API limit; Workers requests are billed (USD 0.30 per
//     million beyond the 10 million a month in the paid plan), so the
//     figure is the cost per million saves.
//
// Local numbers measure the workerd harness on this machine, not
// Cloudflare's latency; the request counts are exact.
//
//	go run ./internal/gwbench                 # 8 clients, 10 s per target
//	go run ./internal/gwbench -clients 8 -duration 30s
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/backend/gateway"
	"github.com/dmplan/dmplan/backend/gateway/gwtest"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

// The documented REST budget: 1,200 requests per 5 minutes per user.
const restPerSecond = 1200.0 / 300.0

// Workers paid-plan request price beyond the included 10 million a month.
const workersUSDPerMillion = 0.30

const env = "bench"

const modelHCL = `
project "gwbench" {
  binding_prefix = "GWBENCH_"
}

model "NOTE" {
  primary_key = "note_id"
  options {
    timestamps = true
  }
  field "title" {
    type     = string
    required = true
  }
  field "body" { type = text }
  field "owner" {
    type     = string
    required = true
  }
  field "score" {
    type    = integer
    default = 0
  }
  kv {
    namespace   = "NOTES"
    key_pattern = "note:{id}"
  }
  d1 {
    table       = "notes"
    sync_fields = ["title", "owner", "score"]
    index "by_owner" { columns = ["owner"] }
  }
}
`

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gwbench:", err)
		os.Exit(1)
	}
}

// counter counts HTTP requests.
type counter struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

type row struct {
	target     string
	saves      int64
	elapsed    time.Duration
	perSave    float64
	perGet     float64
	perPage    float64
	perHydrate float64
	perDelete  float64
	errs       int64
}

func run() error {
	clients := flag.Int("clients", 8, "concurrent clients")
	duration := flag.Duration("duration", 10*time.Second, "how long the clients save, per target")
	flag.Parse()
	ctx := context.Background()
	spec, diags := hclspec.LoadSources("gwbench", map[string][]byte{"gwbench.dm.hcl": []byte(modelHCL)})
	if diags.HasErrors() {
		return fmt.Errorf("load model: %s", diags.Error())
	}

	fmt.Fprintf(os.Stderr, "starting the REST harness and the gateway in workerd…\n")
	h, err := cftest.Launch()
	if err != nil {
		return err
	}
	defer h.Close()
	g, err := gwtest.Launch(gwtest.Options{Tenants: 1, KV: 2})
	if err != nil {
		return err
	}
	defer g.Close()

	var rows []row
	{
		c := &counter{next: http.DefaultTransport}
		b, err := openREST(ctx, h, c)
		if err != nil {
			return fmt.Errorf("REST: %w", err)
		}
		r, err := measure(ctx, "REST API (backend/cloudflare)", spec, b, c, *clients, *duration)
		if err != nil {
			return fmt.Errorf("REST: %w", err)
		}
		rows = append(rows, r)
	}
	{
		c := &counter{next: http.DefaultTransport}
		tn := g.Tenants[0]
		b, err := tn.Open(ctx, gateway.Options{HTTPClient: &http.Client{Transport: c}})
		if err != nil {
			return fmt.Errorf("gateway: %w", err)
		}
		r, err := measure(ctx, "gateway (backend/gateway)", spec, b, c, *clients, *duration)
		if err != nil {
			return fmt.Errorf("gateway: %w", err)
		}
		rows = append(rows, r)
	}
	report(os.Stdout, rows, *clients, *duration)
	return nil
}

// openREST opens the Cloudflare backend on a fresh account and database
// of the harness.
func openREST(ctx context.Context, h *cftest.Harness, c *counter) (*cloudflare.Store, error) {
	acct := fmt.Sprintf("gwbench%d", time.Now().UnixNano())
	body, _ := json.Marshal(map[string]string{"name": "gwbench"})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.BaseURL+"accounts/"+acct+"/d1/database", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("create database: %s: %s", resp.Status, raw)
	}
	return cloudflare.Open(ctx, cloudflare.Config{
		AccountID: acct, APIToken: h.Token, Database: "gwbench", BaseURL: h.BaseURL,
		HTTPClient: &http.Client{Transport: c}, Environment: env, Getenv: func(string) string { return "" },
	})
}

func measure(ctx context.Context, name string, spec *hclspec.Spec, b backend.Backend, c *counter, clients int, d time.Duration) (row, error) {
	fmt.Fprintf(os.Stderr, "%s: apply, then %d clients for %s…\n", name, clients, d)
	live, err := backend.Inspect(ctx, b.D1(), b.KV())
	if err != nil {
		return row{}, err
	}
	plan := planner.Diff(spec, env, live)
	if _, err := applier.Apply(ctx, b, plan, applier.Options{ToolVersion: "gwbench", Actor: "gwbench", Logger: slog.New(slog.DiscardHandler)}); err != nil {
		return row{}, fmt.Errorf("apply: %w", err)
	}
	ds, err := runtime.Open(ctx, spec, b, runtime.WithEnvironment(env), runtime.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return row{}, err
	}
	h := ds.Auth("bench-user")
	// One save first, so lazy lookups (namespaces) are not counted.
	first, err := save(ctx, h, 0, 0)
	if err != nil {
		return row{}, err
	}

	out := row{target: name}
	var saves, errs atomic.Int64
	before := c.n.Load()
	start := time.Now()
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; time.Now().Before(stop); i++ {
				if _, err := save(ctx, h, w, i); err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				saves.Add(1)
			}
		}()
	}
	wg.Wait()
	out.elapsed = time.Since(start)
	out.saves = saves.Load()
	out.errs = errs.Load()
	if out.saves == 0 {
		return out, fmt.Errorf("no save succeeded: %v", firstErr.Load())
	}
	out.perSave = float64(c.n.Load()-before) / float64(out.saves)

	per := func(n int, fn func() error) (float64, error) {
		before := c.n.Load()
		for range n {
			if err := fn(); err != nil {
				return 0, err
			}
		}
		return float64(c.n.Load()-before) / float64(n), nil
	}
	if out.perGet, err = per(20, func() error { _, err := h.Get(ctx, "NOTE", first); return err }); err != nil {
		return out, fmt.Errorf("get: %w", err)
	}
	if out.perPage, err = per(10, func() error {
		_, err := h.Query("NOTE").Where("owner", "client-1").Limit(25).List(ctx)
		return err
	}); err != nil {
		return out, fmt.Errorf("page: %w", err)
	}
	if out.perHydrate, err = per(10, func() error {
		_, err := h.Query("NOTE").Where("owner", "client-1").Limit(25).WithData().List(ctx)
		return err
	}); err != nil {
		return out, fmt.Errorf("hydrated page: %w", err)
	}
	var ids []string
	for n := range 10 {
		id, err := save(ctx, h, 99, n)
		if err != nil {
			return out, err
		}
		ids = append(ids, id)
	}
	k := 0
	if out.perDelete, err = per(len(ids), func() error {
		k++
		return h.Delete(ctx, "NOTE", ids[k-1])
	}); err != nil {
		return out, fmt.Errorf("delete: %w", err)
	}
	return out, nil
}

func save(ctx context.Context, h *runtime.Handle, client, i int) (string, error) {
	r := h.New("NOTE")
	r.Set("title", fmt.Sprintf("note %d of client %d", i, client))
	r.Set("body", "Lorem ipsum dolor sit amet, consectetur adipiscing elit.")
	r.Set("owner", fmt.Sprintf("client-%d", client))
	r.Set("score", int64(i))
	if err := r.Save(ctx); err != nil {
		return "", err
	}
	id, _ := r.Get("note_id").(string)
	return id, nil
}

func report(w io.Writer, rows []row, clients int, d time.Duration) {
	fmt.Fprintf(w, "\n%d concurrent clients, %s of saves per target, local workerd (miniflare) on this machine\n\n", clients, d)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tsaves/s here\treq/save\treq/get\treq/page+total\treq/hydrated page\treq/delete\tproduction ceiling\t")
	for _, r := range rows {
		rate := float64(r.saves) / r.elapsed.Seconds()
		var prod string
		if r.target[:4] == "REST" {
			prod = fmt.Sprintf("%.1f saves/s per account (4 req/s ÷ %.2f)", restPerSecond/r.perSave, r.perSave)
		} else {
			prod = fmt.Sprintf("no API limit; USD %.2f per million saves", r.perSave*workersUSDPerMillion)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t\n", r.target, rate, r.perSave, r.perGet, r.perPage, r.perHydrate, r.perDelete, prod)
		if r.errs > 0 {
			fmt.Fprintf(tw, "  (%d saves failed)\t\t\t\t\t\t\t\t\n", r.errs)
		}
	}
	tw.Flush()
}

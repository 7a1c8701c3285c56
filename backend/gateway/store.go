package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dmplan/dmplan/backend"
)

// Environment variables OpenFromEnv reads.
const (
	EnvURL    = "DMPLAN_GATEWAY_URL"
	EnvSecret = "DMPLAN_GATEWAY_SECRET"
)

// Request limits, kept below the Worker's (see the package doc) so a
// pipeline this package splits is never refused for its size.
const (
	maxRequestOps   = 1000
	maxRequestKV    = 1000
	maxRequestStmts = 1000
	// MaxRequestBytes bounds the JSON body of one request; the Worker
	// takes 40 MiB.
	MaxRequestBytes = 32 << 20
	maxBulkGet      = 100
	maxRefKeys      = 1000
)

// Options configure Open.
type Options struct {
	// URL is the gateway's base URL (https://NAME.SUBDOMAIN.workers.dev
	// or a route); /v1/... is appended.
	URL string
	// Secret is the bearer token (the gateway's DMPLAN_SECRET or
	// DMPLAN_SECRET_PREVIOUS). It never appears in errors or logs.
	Secret string
	// HTTPClient sends the requests (default: a client of its own).
	HTTPClient *http.Client
	// Logger receives retries (default: discard).
	Logger *slog.Logger
	// RequestTimeout bounds one attempt (default 30s); the context
	// bounds the whole call.
	RequestTimeout time.Duration
	// MaxAttempts bounds the attempts of a retried request (default 4).
	MaxAttempts int
	// MaxRetryWait bounds the total wait between attempts (default 10s).
	MaxRetryWait time.Duration
	// Getenv reads OpenFromEnv's variables (default os.Getenv).
	Getenv func(string) string
}

// Store is a backend.Backend (and backend.Pipeliner) over a gateway.
type Store struct {
	opts  Options
	base  string // URL without a trailing slash
	shown string // URL for humans (no user info)
	hc    *http.Client
	log   *slog.Logger
	sleep func(ctx context.Context, d time.Duration) error

	mu     sync.Mutex
	health Health
}

var (
	_ backend.Backend   = (*Store)(nil)
	_ backend.Pipeliner = (*Store)(nil)
)

// Health is what GET /v1/health reports.
type Health struct {
	Version     string      `json:"version"`
	Project     string      `json:"project"`
	Environment string      `json:"environment"`
	Database    Database    `json:"database"`
	Namespaces  []Namespace `json:"namespaces"`
	// Secrets is 2 while a previous secret is still accepted.
	Secrets int `json:"secrets"`
}

// OpenFromEnv opens the gateway named by DMPLAN_GATEWAY_URL with the
// secret in DMPLAN_GATEWAY_SECRET (read through opts.Getenv, default
// os.Getenv); opts.URL and opts.Secret, when set, win.
//
//	gw, err := gateway.OpenFromEnv(ctx, gateway.Options{Logger: slog.Default()})
//	ds, err := runtime.Open(ctx, spec, gw, runtime.WithEnvironment("production"))
func OpenFromEnv(ctx context.Context, opts Options) (*Store, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if opts.URL == "" {
		opts.URL = strings.TrimSpace(getenv(EnvURL))
	}
	if opts.Secret == "" {
		opts.Secret = getenv(EnvSecret)
	}
	var missing []string
	if opts.URL == "" {
		missing = append(missing, EnvURL)
	}
	if opts.Secret == "" {
		missing = append(missing, EnvSecret)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: set %s (`dmplan apply` prints the gateway URL; the secret is the one its env.X names)",
			ErrNotConfigured, strings.Join(missing, " and "))
	}
	return Open(ctx, opts)
}

// Open checks the gateway (one GET /v1/health: the secret is accepted and
// the version is spoken) and returns a Store.
func Open(ctx context.Context, opts Options) (*Store, error) {
	u, err := url.Parse(strings.TrimSpace(opts.URL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: gateway URL %q is not an http(s) URL", ErrNotConfigured, redact(opts.URL))
	}
	if opts.Secret == "" {
		return nil, fmt.Errorf("%w: no gateway secret", ErrNotConfigured)
	}
	if err := CheckSecret(opts.Secret); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotConfigured, err)
	}
	shown := *u
	shown.User = nil
	shown.RawQuery, shown.Fragment = "", ""
	s := &Store{opts: opts, base: strings.TrimSuffix(shown.String(), "/"), shown: shown.Host + strings.TrimSuffix(shown.Path, "/"),
		hc: opts.HTTPClient, log: opts.Logger, sleep: sleepCtx}
	if u.User != nil {
		return nil, fmt.Errorf("%w: put the secret in Options.Secret or %s, not in the URL", ErrNotConfigured, EnvSecret)
	}
	if s.hc == nil {
		s.hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.opts.RequestTimeout <= 0 {
		s.opts.RequestTimeout = 30 * time.Second
	}
	if s.opts.MaxAttempts <= 0 {
		s.opts.MaxAttempts = 4
	}
	if s.opts.MaxRetryWait <= 0 {
		s.opts.MaxRetryWait = 10 * time.Second
	}
	if _, err := s.Health(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// Health asks the gateway what it serves (one request).
func (s *Store) Health(ctx context.Context) (Health, error) {
	var h Health
	raw, err := s.send(ctx, http.MethodGet, "/v1/health", nil, true, false, "health")
	if err != nil {
		return h, err
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return h, fmt.Errorf("gateway health at %s: decode: %w", s.shown, err)
	}
	s.mu.Lock()
	s.health = h
	s.mu.Unlock()
	return h, nil
}

// D1 returns the gateway's D1 database.
func (s *Store) D1() backend.D1 { return (*d1)(s) }

// KV returns the gateway's KV namespaces.
func (s *Store) KV() backend.KV { return (*kv)(s) }

// Describe names the gateway: its host and path, project and environment.
func (s *Store) Describe() string {
	s.mu.Lock()
	h := s.health
	s.mu.Unlock()
	if h.Project != "" || h.Environment != "" {
		return fmt.Sprintf("gateway %s (project %s, environment %s)", s.shown, h.Project, h.Environment)
	}
	return "gateway " + s.shown
}

// Close releases idle connections.
func (s *Store) Close() error {
	s.hc.CloseIdleConnections()
	return nil
}

// ---------- the pipeline ----------

// part is one op as sent: an op of the caller, or a piece of one that was
// too large for one request (a put many, delete many or get many split).
type part struct {
	orig int
	op   backend.Op
}

// Pipeline runs ops in as few requests as the limits allow (one, unless
// the ops exceed 1,000 KV calls, 1,000 D1 statements or MaxRequestBytes),
// stopping at the first failure; see backend.Pipeliner. A put many,
// delete many or get many larger than one request is split, and a
// KeysFrom whose D1 op went in an earlier request is resolved here. A
// D1 batch is never split: one over the limits is refused.
func (s *Store) Pipeline(ctx context.Context, ops []backend.Op) ([]backend.OpResult, error) {
	return s.pipeline(ctx, ops, false)
}

// pipeline is Pipeline; withExpiration makes every kv get also report the
// key's expiration (one more KV call: a list of the key), as KV.Get must.
func (s *Store) pipeline(ctx context.Context, ops []backend.Op, withExpiration bool) ([]backend.OpResult, error) {
	if err := backend.CheckOps(ops); err != nil {
		return nil, err
	}
	parts, err := split(ops)
	if err != nil {
		return nil, err
	}
	results := make([]backend.OpResult, 0, len(ops))
	partial := map[int]*backend.OpResult{} // merged results of split ops
	partResults := make([]backend.OpResult, 0, len(parts))
	for start := 0; start < len(parts); {
		req, n, err := s.pack(parts[start:], start, parts, partResults, withExpiration)
		if err != nil {
			return results, &backend.PipelineError{Index: parts[start].orig, Kind: parts[start].op.Kind, Err: err}
		}
		chunk := parts[start : start+n]
		got, failed, err := s.do(ctx, req, chunk)
		for i, r := range got {
			p := chunk[i]
			partResults = append(partResults, r)
			merged := merge(partial, p, r)
			if start+i+1 == len(parts) || parts[start+i+1].orig != p.orig {
				results = append(results, merged)
				delete(partial, p.orig)
			}
		}
		if err != nil {
			if failed >= 0 {
				at := start + failed
				return results, &backend.PipelineError{Index: parts[at].orig, Kind: parts[at].op.Kind, Err: err}
			}
			// The request failed as a whole: nothing in it ran (a
			// refusal), or its outcome is unknown. The ops before it ran.
			var ir *indexedRefusal
			if errors.As(err, &ir) && ir.index >= 0 && ir.index < n {
				at := parts[start+ir.index]
				err = fmt.Errorf("op %d (%s) refused, so no op from %d on ran: %w", at.orig, at.op.Kind, parts[start].orig, ir.err)
			}
			return results, &backend.PipelineError{Index: parts[start].orig, Kind: parts[start].op.Kind, Err: err}
		}
		start += n
	}
	return results, nil
}

// merge folds the result of one part into the result of its op.
func merge(partial map[int]*backend.OpResult, p part, r backend.OpResult) backend.OpResult {
	acc, ok := partial[p.orig]
	if !ok {
		c := r
		partial[p.orig] = &c
		return c
	}
	acc.Keys = append(acc.Keys, r.Keys...)
	if r.Values != nil {
		if acc.Values == nil {
			acc.Values = map[string][]byte{}
		}
		for k, v := range r.Values {
			acc.Values[k] = v
		}
	}
	return *acc
}

// split cuts ops too large for one request into parts.
func split(ops []backend.Op) ([]part, error) {
	var out []part
	for i, op := range ops {
		switch {
		case op.Kind == backend.OpKVPutMany && (len(op.Entries) > maxRequestKV || entriesSize(op.Entries) > MaxRequestBytes/2):
			for from := 0; from < len(op.Entries); {
				to, size := from, 0
				for to < len(op.Entries) && to-from < maxRequestKV {
					sz := entrySize(op.Entries[to])
					if to > from && size+sz > MaxRequestBytes/2 {
						break
					}
					size += sz
					to++
				}
				p := op
				p.Entries = op.Entries[from:to]
				out = append(out, part{orig: i, op: p})
				from = to
			}
		case (op.Kind == backend.OpKVDeleteMany && len(op.Keys) > maxRequestKV) ||
			(op.Kind == backend.OpKVGetMany && op.KeysFrom == nil && len(op.Keys) > maxRefKeys):
			for from := 0; from < len(op.Keys); from += maxRefKeys {
				p := op
				p.Keys = op.Keys[from:min(from+maxRefKeys, len(op.Keys))]
				out = append(out, part{orig: i, op: p})
			}
		case op.Kind == backend.OpD1Batch && len(op.Stmts) > maxRequestStmts:
			return nil, &backend.PipelineError{Index: i, Kind: op.Kind, Err: fmt.Errorf("batch of %d statements (limit %d per gateway request): %w",
				len(op.Stmts), maxRequestStmts, backend.ErrTooLarge)}
		default:
			out = append(out, part{orig: i, op: op})
		}
	}
	return out, nil
}

func entrySize(e backend.Entry) int {
	return len(e.Key) + len(e.Value)*4/3 + len(e.Metadata) + 64
}

func entriesSize(es []backend.Entry) int {
	n := 0
	for _, e := range es {
		n += entrySize(e)
	}
	return n
}

// kvCalls is what the Worker counts against its per-request KV budget.
func kvCalls(w wireOp, op backend.Op) int {
	switch op.Kind {
	case backend.OpKVGet:
		if w.Expiration == true {
			return 2
		}
		return 1
	case backend.OpKVGetMany:
		if w.KeysFrom != nil {
			return maxRefKeys / maxBulkGet
		}
		return (len(w.Keys) + maxBulkGet - 1) / maxBulkGet
	case backend.OpKVPutMany:
		return len(op.Entries)
	case backend.OpKVDeleteMany:
		return len(op.Keys)
	case backend.OpKVPut, backend.OpKVDelete, backend.OpKVList:
		return 1
	}
	return 0
}

type request struct {
	body       []byte
	replayable bool
	writes     bool // some op changes KV or D1
	n          int
}

// pack builds the next request from the parts starting at global index
// first, within the request limits; it returns the request and how many
// parts it holds.
func (s *Store) pack(rest []part, first int, all []part, partResults []backend.OpResult, withExpiration bool) (request, int, error) {
	var (
		buf        bytes.Buffer
		kvN, stmtN int
		req        = request{replayable: true}
	)
	buf.WriteString(`{"ops":[`)
	for i, p := range rest {
		w, err := encodeOp(p.op)
		if err != nil {
			if i == 0 {
				return req, 0, err
			}
			break // encoded as the first op of the next request, which fails there
		}
		if withExpiration && p.op.Kind == backend.OpKVGet {
			w.Expiration = true
		}
		if r := p.op.KeysFrom; r != nil {
			// The source op is the last part of op r.Op (D1 ops are never split).
			src := -1
			for j := first + i - 1; j >= 0; j-- {
				if all[j].orig == r.Op {
					src = j
					break
				}
			}
			if src >= first {
				w.KeysFrom = &wireKeysFrom{Op: src - first, Statement: r.Statement, Column: r.Column, Prefix: r.Prefix, Suffix: r.Suffix}
			} else {
				// The source ran in an earlier request: resolve here.
				rr := *r
				rr.Op = src
				keys, err := backend.ResolveKeysFrom(&rr, partResults)
				if err != nil {
					if i == 0 {
						return req, 0, err
					}
					break
				}
				w.Keys = keys
				if w.Keys == nil {
					w.Keys = []string{}
				}
			}
		}
		b, err := json.Marshal(w)
		if err != nil {
			if i == 0 {
				return req, 0, err
			}
			break
		}
		k := kvCalls(w, p.op)
		st := len(w.Statements)
		if p.op.Kind == backend.OpD1Query {
			st = 1
		}
		if i > 0 && (i >= maxRequestOps || kvN+k > maxRequestKV || stmtN+st > maxRequestStmts || buf.Len()+len(b)+3 > MaxRequestBytes) {
			break
		}
		if i == 0 && (k > maxRequestKV || st > maxRequestStmts || len(b)+16 > MaxRequestBytes) {
			return req, 0, fmt.Errorf("op of %d bytes, %d KV calls, %d statements is over one gateway request's limits: %w", len(b), k, st, backend.ErrTooLarge)
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(b)
		kvN += k
		stmtN += st
		req.n++
		if !p.op.Replayable() {
			req.replayable = false
		}
		if writes(p.op) {
			req.writes = true
		}
	}
	buf.WriteString(`]}`)
	req.body = buf.Bytes()
	return req, req.n, nil
}

// do sends one request of parts and decodes its results. failed is the
// index (in parts) of the op that failed while running, or -1 when the
// request failed as a whole.
func (s *Store) do(ctx context.Context, req request, parts []part) (results []backend.OpResult, failed int, err error) {
	raw, err := s.send(ctx, http.MethodPost, "/v1/ops", req.body, req.replayable, req.writes, describeOps(parts))
	if err != nil {
		return nil, -1, err
	}
	var resp wireResponse
	if err := unmarshal(raw, &resp); err != nil {
		return nil, -1, fmt.Errorf("gateway %s: decode response: %w", s.shown, err)
	}
	if len(resp.Results) > len(parts) {
		return nil, -1, fmt.Errorf("gateway %s: %d results for %d ops", s.shown, len(resp.Results), len(parts))
	}
	for i, r := range resp.Results {
		res, err := decodeResult(parts[i].op, r)
		if err != nil {
			return results, -1, fmt.Errorf("gateway %s: decode result of op %d: %w", s.shown, i, err)
		}
		results = append(results, res)
	}
	if resp.Error != nil {
		idx := len(resp.Results)
		if resp.Error.Index != nil && *resp.Error.Index != idx {
			return results, -1, fmt.Errorf("gateway %s: op %d failed but %d ran: %s", s.shown, *resp.Error.Index, idx, resp.Error.Message)
		}
		if idx >= len(parts) {
			return results, -1, fmt.Errorf("gateway %s: failure after the last op: %s", s.shown, resp.Error.Message)
		}
		return results, idx, &OpError{Code: resp.Error.Code, Message: resp.Error.Message}
	}
	if len(results) != len(parts) {
		return results, -1, fmt.Errorf("gateway %s: %d results for %d ops", s.shown, len(results), len(parts))
	}
	return results, -1, nil
}

func describeOps(parts []part) string {
	if len(parts) == 1 {
		return parts[0].op.Kind.String()
	}
	return fmt.Sprintf("pipeline of %d ops", len(parts))
}

// ---------- HTTP and retries ----------

// statusError is a non-2xx answer that is not a refusal the gateway
// explained (a 5xx from the edge, a 429).
type statusError struct {
	status     int
	body       string
	retryAfter time.Duration
}

func (e *statusError) Error() string {
	if e.body != "" {
		return fmt.Sprintf("HTTP %d: %s", e.status, e.body)
	}
	return fmt.Sprintf("HTTP %d", e.status)
}

// send makes one call with retries. replayable says whether a call that
// may have run can be sent again; writes whether it changes data, so that
// giving up after an attempt that may have run leaves its outcome unknown.
func (s *Store) send(ctx context.Context, method, path string, body []byte, replayable, writes bool, what string) ([]byte, error) {
	var waited time.Duration
	mayHaveRun := false // an earlier attempt failed after it may have run
	for attempt := 1; ; attempt++ {
		sent := ctx.Err() == nil // the attempt may reach the gateway
		raw, err := s.attempt(ctx, method, path, body)
		if err == nil {
			return raw, nil
		}
		if ctx.Err() != nil {
			if _, ambiguous, _ := classify(err, replayable, attempt); writes && sent && ambiguous {
				// Cancelled or past its deadline while in flight: the
				// gateway may have run the request.
				return nil, fmt.Errorf("gateway %s: %s (attempt %d): cancelled while in flight, the write may or may not have been applied: %w: %w", s.shown, what, attempt, backend.ErrOutcomeUnknown, ctx.Err())
			}
			if writes && mayHaveRun {
				return nil, fmt.Errorf("gateway %s: %s (attempt %d): %w: %w", s.shown, what, attempt, backend.ErrOutcomeUnknown, ctx.Err())
			}
			return nil, fmt.Errorf("gateway %s: %s: %w", s.shown, what, ctx.Err())
		}
		retry, ambiguous, wait := classify(err, replayable, attempt)
		if !retry {
			if ran := (*ranError)(nil); errors.As(err, &ran) && method == http.MethodPost {
				// Ran, not retried: even ops that could be replayed may
				// have been applied, which the caller must hear.
				return nil, fmt.Errorf("gateway %s: %s: %w: %w", s.shown, what, backend.ErrOutcomeUnknown, ran.err)
			}
			if ambiguous && !replayable {
				return nil, fmt.Errorf("gateway %s: %s: not retried because it is not idempotent: %w: %v", s.shown, what, backend.ErrOutcomeUnknown, err)
			}
			if writes && mayHaveRun {
				return nil, fmt.Errorf("gateway %s: %s (attempt %d): an earlier attempt may have run: %w: %w", s.shown, what, attempt, backend.ErrOutcomeUnknown, err)
			}
			if attempt > 1 {
				return nil, fmt.Errorf("gateway %s: %s (attempt %d): %w", s.shown, what, attempt, err)
			}
			return nil, fmt.Errorf("gateway %s: %s: %w", s.shown, what, err)
		}
		mayHaveRun = mayHaveRun || ambiguous
		if attempt >= s.opts.MaxAttempts || waited+wait > s.opts.MaxRetryWait {
			if writes && mayHaveRun {
				// A write some attempt of which may have run: it may have
				// been applied although no answer said so.
				return nil, fmt.Errorf("gateway %s: %s: giving up after %d attempts: %w: %w", s.shown, what, attempt, backend.ErrOutcomeUnknown, err)
			}
			return nil, fmt.Errorf("gateway %s: %s: giving up after %d attempts: %w", s.shown, what, attempt, err)
		}
		s.log.Warn("gateway retry", "gateway", s.shown, "call", what, "attempt", attempt, "wait", wait, "err", err)
		if err := s.sleep(ctx, wait); err != nil {
			if writes && mayHaveRun {
				return nil, fmt.Errorf("gateway %s: %s: %w: %w", s.shown, what, backend.ErrOutcomeUnknown, err)
			}
			return nil, fmt.Errorf("gateway %s: %s: %w", s.shown, what, err)
		}
		waited += wait
	}
}

// writes reports whether op may change KV or D1: a KV put or delete, or a
// D1 op with a statement that writes (or that cannot be scanned).
func writes(op backend.Op) bool {
	switch op.Kind {
	case backend.OpKVPut, backend.OpKVPutMany, backend.OpKVDelete, backend.OpKVDeleteMany:
		return true
	case backend.OpD1Query:
		return stmtWrites(op.Stmt)
	case backend.OpD1Batch:
		for _, st := range op.Stmts {
			if stmtWrites(st) {
				return true
			}
		}
	}
	return false
}

func stmtWrites(st backend.Stmt) bool {
	info, err := backend.ScanSQL(st.SQL)
	return err != nil || info.Writes
}

// classify decides whether err may be retried, whether the call may have
// run (ambiguous), and the wait before the next attempt.
func classify(err error, replayable bool, attempt int) (retry, ambiguous bool, wait time.Duration) {
	wait = backoff(attempt - 1)
	var se *statusError
	if errors.As(err, &se) {
		if se.retryAfter > 0 {
			wait = se.retryAfter
		}
		switch {
		case se.status == http.StatusTooManyRequests:
			return true, false, wait
		case se.status >= 500 || se.status == http.StatusRequestTimeout:
			return replayable, true, wait
		}
		return false, false, 0
	}
	var ran *ranError
	if errors.As(err, &ran) {
		return false, true, 0
	}
	var re *RequestError
	if errors.As(err, &re) || errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrVersion) {
		return false, false, 0
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true, false, wait
	}
	// A dropped connection, a reset, an attempt timeout: the request may
	// have run.
	return replayable, true, wait
}

func backoff(n int) time.Duration {
	d := 200 * time.Millisecond << n
	if d > 3*time.Second {
		d = 3 * time.Second
	}
	return d
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// attempt sends one HTTP request and checks the answer: status, version.
func (s *Store) attempt(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	actx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, s.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.opts.Secret)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		// *url.Error holds the URL (no secret: it is in a header) and the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, ue.Err
		}
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	version := resp.Header.Get("Dmplan-Gateway-Version")
	var env struct {
		Version string     `json:"version"`
		Error   *wireError `json:"error"`
	}
	isJSON := false
	if version == "" || resp.StatusCode >= 300 {
		// The envelope is read only when the header lacks the version or
		// the answer is a failure: a success's body is decoded once, by
		// the caller.
		isJSON = strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && json.Unmarshal(raw, &env) == nil
	}
	if version == "" {
		version = env.Version
	}
	if resp.StatusCode == http.StatusUnauthorized && version != "" {
		return nil, ErrUnauthorized
	}
	if version == "" {
		if resp.StatusCode < 300 || resp.StatusCode == http.StatusNotFound {
			// Something answered, but not a dmplan gateway.
			return nil, fmt.Errorf("%w: %s answers HTTP %d without a gateway version: is DMPLAN_GATEWAY_URL the gateway's URL? Run `dmplan apply` to deploy it",
				ErrVersion, s.shown, resp.StatusCode)
		}
		return nil, &statusError{status: resp.StatusCode, body: abbreviate(string(raw), 200), retryAfter: retryAfter(resp)}
	}
	if !Speaks(version) {
		err := fmt.Errorf("%w: the gateway at %s runs script version %s; this program speaks %s: run `dmplan apply` to deploy the gateway this version of dmplan needs",
			ErrVersion, s.shown, version, Version)
		if resp.StatusCode < 300 {
			// The gateway changed since Open and ran the request: its
			// answer cannot be read, but its ops may have been applied.
			return nil, &ranError{err: err}
		}
		return nil, err
	}
	if resp.StatusCode >= 300 {
		if isJSON && env.Error != nil && env.Error.Code != "" && env.Error.Code != "internal" {
			re := &RequestError{Status: resp.StatusCode, Code: env.Error.Code, Message: env.Error.Message}
			if env.Error.Index != nil {
				return nil, &indexedRefusal{index: *env.Error.Index, err: re}
			}
			return nil, re
		}
		msg := abbreviate(string(raw), 200)
		if isJSON && env.Error != nil {
			msg = env.Error.Message
		}
		return nil, &statusError{status: resp.StatusCode, body: msg, retryAfter: retryAfter(resp)}
	}
	return raw, nil
}

// ranError is an answer that says the request ran but cannot be used.
type ranError struct{ err error }

func (e *ranError) Error() string { return e.err.Error() }
func (e *ranError) Unwrap() error { return e.err }

// indexedRefusal is a refusal that names the op of the request at fault.
type indexedRefusal struct {
	index int
	err   *RequestError
}

func (e *indexedRefusal) Error() string { return e.err.Error() }
func (e *indexedRefusal) Unwrap() error { return e.err }

func retryAfter(resp *http.Response) time.Duration {
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

func abbreviate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/gateway"
	"github.com/dmplan/dmplan/backend/gateway/gwtest"
)

func nsID(f *fixture, i int) string { return f.tenant.Config.Namespaces[i].ID }

func TestPipelineOneRoundTrip(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ns := nsID(f, 0)
	ops := []backend.Op{
		{Kind: backend.OpD1Query, Stmt: backend.Stmt{SQL: `CREATE TABLE pages (id TEXT PRIMARY KEY, n INTEGER)`}},
		{Kind: backend.OpKVPutMany, NS: ns, Entries: []backend.Entry{
			{Key: "page:a", Value: []byte(`{"n":1}`)}, {Key: "page:b", Value: []byte(`{"n":2}`)}}},
		{Kind: backend.OpD1Batch, Stmts: []backend.Stmt{
			{SQL: `INSERT INTO pages (id, n) VALUES (?, ?)`, Args: []any{"a", int64(1)}},
			{SQL: `INSERT INTO pages (id, n) VALUES (?, ?)`, Args: []any{"b", int64(1) << 60}},
		}},
		{Kind: backend.OpD1Query, Stmt: backend.Stmt{SQL: `SELECT id, n, typeof(n) FROM pages ORDER BY id`}},
		{Kind: backend.OpKVGetMany, NS: ns, KeysFrom: &backend.KeysFrom{Op: 3, Column: 0, Prefix: "page:"}},
		{Kind: backend.OpKVGet, NS: ns, Key: "page:missing"},
	}
	var res []backend.OpResult
	var err error
	if trips := f.count(func() { res, err = f.s.Pipeline(ctx, ops) }); trips != 1 {
		t.Errorf("pipeline of %d ops took %d round trips, want 1", len(ops), trips)
	}
	if err != nil {
		t.Fatalf("Pipeline: %v", err)
	}
	if len(res) != len(ops) {
		t.Fatalf("%d results for %d ops", len(res), len(ops))
	}
	rows := res[3].Results[0].Rows
	if len(rows) != 2 || rows[0][0] != "a" || rows[1][2] != "integer" {
		t.Errorf("SELECT rows = %v", rows)
	}
	if res[2].Results[0].RowsWritten == 0 || res[3].Results[0].RowsRead != 2 {
		t.Errorf("D1 meta not exposed: insert rows written %d, select rows read %d", res[2].Results[0].RowsWritten, res[3].Results[0].RowsRead)
	}
	if got := res[4].Values; len(got) != 2 || string(got["page:b"]) != `{"n":2}` {
		t.Errorf("get many by reference = %q", got)
	}
	if res[5].Found {
		t.Errorf("get of a missing key: Found = true")
	}
}

func TestPipelineStopsAtFirstFailure(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ns := nsID(f, 0)
	if _, err := f.s.D1().Query(ctx, backend.Stmt{SQL: `CREATE TABLE u (email TEXT PRIMARY KEY)`}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.D1().Query(ctx, backend.Stmt{SQL: `INSERT INTO u VALUES (?)`, Args: []any{"x@example.com"}}); err != nil {
		t.Fatal(err)
	}
	res, err := f.s.Pipeline(ctx, []backend.Op{
		{Kind: backend.OpKVPut, NS: ns, Entry: backend.Entry{Key: "before", Value: []byte("1")}},
		{Kind: backend.OpD1Query, Stmt: backend.Stmt{SQL: `INSERT INTO u VALUES (?)`, Args: []any{"x@example.com"}}},
		{Kind: backend.OpKVPut, NS: ns, Entry: backend.Entry{Key: "after", Value: []byte("1")}},
	})
	var pe *backend.PipelineError
	if !errors.As(err, &pe) || pe.Index != 1 || !errors.Is(err, backend.ErrConstraint) {
		t.Fatalf("err = %v, want a *PipelineError at op 1 wrapping ErrConstraint", err)
	}
	if len(res) != 1 {
		t.Errorf("%d results, want the 1 of the op that ran", len(res))
	}
	if _, err := f.s.KV().Get(ctx, ns, "before"); err != nil {
		t.Errorf("op 0 did not run: %v", err)
	}
	if _, err := f.s.KV().Get(ctx, ns, "after"); !errors.Is(err, backend.ErrKeyNotFound) {
		t.Errorf("op 2 ran after the failure: Get = %v", err)
	}
}

// post sends a raw request to a tenant.
func post(t *testing.T, tn gwtest.Tenant, secret string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, tn.URL+"/v1/ops", bytes.NewReader(body))
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response %d is not JSON: %s", resp.StatusCode, raw)
	}
	if out["version"] != gateway.Version || resp.Header.Get("Dmplan-Gateway-Version") != gateway.Version {
		t.Errorf("response does not carry the version: body %v, header %q", out["version"], resp.Header.Get("Dmplan-Gateway-Version"))
	}
	return resp.StatusCode, out
}

func ops(v ...map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"ops": v})
	return b
}

// absent checks that nothing ran: the key is not in KV and the table not
// in D1.
func absent(t *testing.T, f *fixture, key string) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.s.KV().Get(ctx, nsID(f, 0), key); !errors.Is(err, backend.ErrKeyNotFound) {
		t.Errorf("key %q: Get = %v, want not found (nothing may run)", key, err)
	}
	res, err := f.s.D1().Query(ctx, backend.Stmt{SQL: `SELECT name FROM sqlite_master WHERE name = 'touched'`})
	if err != nil || len(res.Rows) != 0 {
		t.Errorf("table touched exists (%v, %v): nothing may run", res, err)
	}
}

func TestBadInput(t *testing.T) {
	f := newFixture(t)
	ns := nsID(f, 0)
	put := map[string]any{"op": "kv.put", "ns": ns, "key": "k", "value": "v"}
	create := map[string]any{"op": "d1.query", "sql": "CREATE TABLE touched (x)"}
	tests := []struct {
		name      string
		secret    string
		body      []byte
		status    int
		code      string
		index     int // -1: none
		errorText string
	}{
		{"no secret", "", ops(create, put), 401, "unauthorized", -1, ""},
		{"wrong secret", "not-the-secret", ops(create, put), 401, "unauthorized", -1, ""},
		{"secret with a suffix", f.tenant.Secret + "x", ops(create, put), 401, "unauthorized", -1, ""},
		{"not JSON", f.tenant.Secret, []byte(`{"ops": [`), 400, "bad_request", -1, "not JSON"},
		{"no ops", f.tenant.Secret, []byte(`{"nope": 1}`), 400, "bad_request", -1, "ops"},
		{"unknown op kind", f.tenant.Secret, ops(create, put, map[string]any{"op": "kv.frob", "ns": ns}), 400, "bad_request", 2, "unknown op"},
		{"unknown namespace", f.tenant.Secret, ops(create, put, map[string]any{"op": "kv.get", "ns": "0123456789abcdef0123456789abcdef", "key": "k"}), 400, "unknown_namespace", 2, "not bound"},
		{"key over 512 bytes", f.tenant.Secret, ops(create, put, map[string]any{"op": "kv.put", "ns": ns, "key": strings.Repeat("k", 513), "value": "v"}), 400, "too_large", 2, "513 bytes"},
		{"metadata over 1024 bytes", f.tenant.Secret, ops(create, put, map[string]any{"op": "kv.put", "ns": ns, "key": "m", "value": "v", "metadata": map[string]string{"x": strings.Repeat("m", 1100)}}), 400, "too_large", 2, "metadata"},
		{"101 parameters", f.tenant.Secret, ops(create, put, map[string]any{"op": "d1.query", "sql": "SELECT ?101", "params": make([]any, 101)}), 400, "too_large", 2, "101 bound parameters"},
		{"statement over 100 KB", f.tenant.Secret, ops(create, put, map[string]any{"op": "d1.query", "sql": "SELECT '" + strings.Repeat("x", 100001) + "'"}), 400, "too_large", 2, "statement of"},
		{"BEGIN", f.tenant.Secret, ops(create, put, map[string]any{"op": "d1.batch", "statements": []any{map[string]any{"sql": "INSERT INTO touched VALUES (1)"}, map[string]any{"sql": " /* c */ begin"}}}), 400, "transaction", 2, "BEGIN"},
		{"two statements", f.tenant.Secret, ops(create, put, map[string]any{"op": "d1.query", "sql": "SELECT 1; DROP TABLE touched"}), 400, "bad_request", 2, "2 statements"},
		{"keys_from a later op", f.tenant.Secret, ops(create, put, map[string]any{"op": "kv.get_many", "ns": ns, "keys_from": map[string]any{"op": 3, "column": 0}}), 400, "bad_request", 2, "earlier op"},
		{"keys_from a batch statement it lacks", f.tenant.Secret, ops(create, put, map[string]any{"op": "d1.batch", "statements": []any{map[string]any{"sql": "SELECT 1"}}},
			map[string]any{"op": "kv.get_many", "ns": ns, "keys_from": map[string]any{"op": 2, "statement": 1, "column": 0}}), 400, "bad_request", 3, "statement"},
		{"keys_from a second statement of a query", f.tenant.Secret, ops(create, put, map[string]any{"op": "d1.query", "sql": "SELECT 1"},
			map[string]any{"op": "kv.get_many", "ns": ns, "keys_from": map[string]any{"op": 2, "statement": 1, "column": 0}}), 400, "bad_request", 3, "statement"},
		{"key not a string", f.tenant.Secret, ops(create, put, map[string]any{"op": "kv.get", "ns": ns, "key": 5}), 400, "bad_request", 2, "key must be a string"},
		{"empty key", f.tenant.Secret, ops(create, put, map[string]any{"op": "kv.delete", "ns": ns, "key": ""}), 400, "invalid_key", 2, "not allowed"},
		{"value and value_b64", f.tenant.Secret, ops(create, put, map[string]any{"op": "kv.put", "ns": ns, "key": "x", "value": "a", "value_b64": "YQ=="}), 400, "bad_request", 2, "exactly one"},
		{"value_b64 not base64", f.tenant.Secret, ops(create, put, map[string]any{"op": "kv.put", "ns": ns, "key": "x", "value_b64": "!!"}), 400, "bad_request", 2, "not base64"},
		{"expiration too soon", f.tenant.Secret, ops(create, put, map[string]any{"op": "kv.put", "ns": ns, "key": "x", "value": "a", "expiration": 1}), 400, "invalid_expiration", 2, "60 seconds"},
		{"entries not an array", f.tenant.Secret, ops(create, put, map[string]any{"op": "kv.put_many", "ns": ns, "entries": "x"}), 400, "bad_request", 2, "entries"},
		{"list limit", f.tenant.Secret, ops(create, put, map[string]any{"op": "kv.list", "ns": ns, "limit": 5000}), 400, "bad_request", 2, "limit"},
		{"params not an array", f.tenant.Secret, ops(create, put, map[string]any{"op": "d1.query", "sql": "SELECT ?", "params": "x"}), 400, "bad_request", 2, "params"},
		{"param an object", f.tenant.Secret, ops(create, put, map[string]any{"op": "d1.query", "sql": "SELECT ?", "params": []any{map[string]any{"x": 1}}}), 400, "bad_request", 2, "parameter 1"},
		{"sql missing", f.tenant.Secret, ops(create, put, map[string]any{"op": "d1.query"}), 400, "bad_request", 2, "sql"},
		{"empty batch", f.tenant.Secret, ops(create, put, map[string]any{"op": "d1.batch", "statements": []any{}}), 400, "bad_request", 2, "non-empty"},
		{"op not an object", f.tenant.Secret, ops(create, put, nil), 400, "bad_request", 2, "unknown op"},
		{"too many KV calls", f.tenant.Secret, ops(create, put, map[string]any{"op": "kv.delete_many", "ns": ns, "keys": manyKeys(1000)}), 413, "too_large", -1, "KV calls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := post(t, f.tenant, tt.secret, tt.body)
			e, _ := out["error"].(map[string]any)
			if status != tt.status || e == nil || e["code"] != tt.code {
				t.Fatalf("status %d, body %v; want %d with code %s", status, out, tt.status, tt.code)
			}
			if tt.index >= 0 && e["index"] != float64(tt.index) {
				t.Errorf("error index = %v, want %d (%v)", e["index"], tt.index, e)
			}
			if msg, _ := e["message"].(string); !strings.Contains(msg, tt.errorText) {
				t.Errorf("message %q does not say %q", msg, tt.errorText)
			}
			absent(t, f, "k")
		})
	}
}

func manyKeys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "k" + strings.Repeat("x", i%7) + string(rune('a'+i%26))
	}
	return out
}

func TestBodyOverLimitRefused(t *testing.T) {
	f := newFixture(t)
	big := strings.Repeat("x", 20<<20)
	body := ops(
		map[string]any{"op": "d1.query", "sql": "CREATE TABLE touched (x)"},
		map[string]any{"op": "kv.put", "ns": nsID(f, 0), "key": "k", "value": big},
		map[string]any{"op": "kv.put", "ns": nsID(f, 0), "key": "k2", "value": big},
	)
	status, out := post(t, f.tenant, f.tenant.Secret, body)
	if e, _ := out["error"].(map[string]any); status != 413 || e == nil || e["code"] != "too_large" {
		t.Fatalf("body of %d bytes: status %d, %v; want 413 too_large", len(body), status, out)
	}
	absent(t, f, "k")
}

func TestSecrets(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// The previous secret is accepted too (rotation).
	if _, err := gateway.Open(ctx, gateway.Options{URL: f.tenant.URL, Secret: f.tenant.Previous}); err != nil {
		t.Errorf("Open with the previous secret: %v", err)
	}
	const wrong = "wrong-secret-3f9a"
	_, err := gateway.Open(ctx, gateway.Options{URL: f.tenant.URL, Secret: wrong})
	if !errors.Is(err, gateway.ErrUnauthorized) {
		t.Fatalf("Open with a wrong secret: %v, want ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), f.tenant.Secret) {
		t.Errorf("error %q shows a secret", err)
	}
}

func TestVersionNotSpoken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Dmplan-Gateway-Version", "2.0")
		io.WriteString(w, `{"version":"2.0","namespaces":[]}`)
	}))
	defer srv.Close()
	_, err := gateway.Open(context.Background(), gateway.Options{URL: srv.URL, Secret: "s"})
	if !errors.Is(err, gateway.ErrVersion) || !strings.Contains(err.Error(), "dmplan apply") || !strings.Contains(err.Error(), "2.0") {
		t.Errorf("Open of a version 2.0 gateway: %v; want ErrVersion naming 2.0 and `dmplan apply`", err)
	}
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }))
	defer plain.Close()
	if _, err := gateway.Open(context.Background(), gateway.Options{URL: plain.URL, Secret: "s"}); !errors.Is(err, gateway.ErrVersion) {
		t.Errorf("Open of something that is not a gateway: %v; want ErrVersion", err)
	}
}

func TestOpenFromEnv(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	_, err := gateway.OpenFromEnv(context.Background(), gateway.Options{Getenv: getenv})
	if !errors.Is(err, gateway.ErrNotConfigured) || !strings.Contains(err.Error(), gateway.EnvURL) || !strings.Contains(err.Error(), gateway.EnvSecret) {
		t.Errorf("OpenFromEnv with nothing set: %v", err)
	}
	f := newFixture(t)
	env[gateway.EnvURL], env[gateway.EnvSecret] = f.tenant.URL, f.tenant.Secret
	s, err := gateway.OpenFromEnv(context.Background(), gateway.Options{Getenv: getenv})
	if err != nil {
		t.Fatalf("OpenFromEnv: %v", err)
	}
	if d := s.Describe(); strings.Contains(d, f.tenant.Secret) || !strings.Contains(d, "gwtest") {
		t.Errorf("Describe() = %q", d)
	}
	if _, err := s.KV().CreateNamespace(context.Background(), "acme-production-NEW"); !errors.Is(err, gateway.ErrNamespacesByApply) {
		t.Errorf("CreateNamespace: %v, want ErrNamespacesByApply", err)
	}
}

// A pipeline over one request's limits is split into several requests, in
// order; a KeysFrom whose D1 op went in an earlier request is resolved by
// the client.
func TestPipelineSplitsLargeWork(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ns := nsID(f, 0)
	var es []backend.Entry
	var keys []string
	for i := range 1500 {
		k := fmt.Sprintf("e:%04d", i)
		es = append(es, backend.Entry{Key: k, Value: []byte(k)})
		keys = append(keys, k)
	}
	ops := []backend.Op{
		{Kind: backend.OpD1Batch, Stmts: []backend.Stmt{
			{SQL: `CREATE TABLE ids (id TEXT PRIMARY KEY)`},
			{SQL: `INSERT INTO ids VALUES (?), (?)`, Args: []any{"1", "2"}},
			{SQL: `SELECT id FROM ids ORDER BY id`},
		}},
		{Kind: backend.OpKVPutMany, NS: ns, Entries: es},
		{Kind: backend.OpKVGetMany, NS: ns, KeysFrom: &backend.KeysFrom{Op: 0, Statement: 2, Column: 0, Prefix: "e:000"}},
		{Kind: backend.OpKVDeleteMany, NS: ns, Keys: keys},
	}
	var res []backend.OpResult
	var err error
	trips := f.count(func() { res, err = f.s.Pipeline(ctx, ops) })
	if err != nil {
		t.Fatalf("Pipeline: %v", err)
	}
	if trips != 4 {
		t.Errorf("%d requests, want 4 (1,000 KV calls per request)", trips)
	}
	if len(res) != len(ops) {
		t.Fatalf("%d results for %d ops", len(res), len(ops))
	}
	if got := res[2].Values; len(got) != 2 || string(got["e:0002"]) != "e:0002" {
		t.Errorf("get many by a reference to an earlier request = %q", got)
	}
	page, err := f.s.KV().List(ctx, ns, "e:", "", 0)
	if err != nil || len(page.Keys) != 0 {
		t.Errorf("after delete many: %d keys left (%v)", len(page.Keys), err)
	}
}

// A refusal names the op at fault; no op of the request ran.
func TestPipelineRefusal(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res, err := f.s.Pipeline(ctx, []backend.Op{
		{Kind: backend.OpKVPut, NS: nsID(f, 0), Entry: backend.Entry{Key: "k", Value: []byte("v")}},
		{Kind: backend.OpKVGet, NS: "0123456789abcdef0123456789abcdef", Key: "k"},
	})
	var pe *backend.PipelineError
	if !errors.As(err, &pe) || pe.Index != 0 || !errors.Is(err, backend.ErrNamespaceNotFound) || len(res) != 0 {
		t.Fatalf("Pipeline with an unknown namespace at op 1: %d results, %v; want a *PipelineError at 0 (nothing ran) wrapping ErrNamespaceNotFound", len(res), err)
	}
	if !strings.Contains(err.Error(), "op 1 (kv get) refused") {
		t.Errorf("error %q does not name op 1", err)
	}
	absent(t, f, "k")
}

// TestVersionChangedUnderWrite: a gateway that answers a write 2xx with a
// version this program does not speak (redeployed, or rolled back, since
// Open) ran the ops, so a write that cannot be replayed says its outcome
// is unknown rather than that it failed.
func TestVersionChangedUnderWrite(t *testing.T) {
	var ops int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		v := gateway.Version
		if r.URL.Path == "/v1/ops" {
			ops++
			v = "0.9"
		}
		w.Header().Set("Dmplan-Gateway-Version", v)
		io.WriteString(w, `{"version":"`+v+`","namespaces":[],"results":[{"columns":[],"rows":[],"meta":{"changes":1}}]}`)
	}))
	defer srv.Close()
	s, err := gateway.Open(context.Background(), gateway.Options{URL: srv.URL, Secret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	insert := backend.Op{Kind: backend.OpD1Query, Stmt: backend.Stmt{SQL: `INSERT INTO t (id) VALUES (?)`, Args: []any{"a"}}}
	upsert := backend.Op{Kind: backend.OpD1Query, Stmt: backend.Stmt{SQL: `INSERT INTO t (id) VALUES (?) ON CONFLICT DO NOTHING`, Args: []any{"a"}, Idempotent: true}}
	for _, op := range []backend.Op{insert, upsert} {
		ops = 0
		_, err = s.Pipeline(context.Background(), []backend.Op{op})
		// A replayable write is not replayed either (the answer cannot be
		// read), so it too may have been applied.
		if !errors.Is(err, backend.ErrOutcomeUnknown) || !errors.Is(err, gateway.ErrVersion) {
			t.Errorf("%s answered 200 by a version 0.9 gateway: %v; want ErrOutcomeUnknown and ErrVersion", op.Stmt.SQL, err)
		}
		if ops != 1 {
			t.Errorf("%d ops requests, want 1 (a write that may have run is not sent again)", ops)
		}
	}
}

// TestOpenRefusesUnsendableSecret: a secret that cannot travel in an HTTP
// header as is (a trailing newline from a secrets file, a control
// character) is refused by Open before any request, without showing it.
func TestOpenRefusesUnsendableSecret(t *testing.T) {
	var requests int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests++ }))
	defer srv.Close()
	for _, secret := range []string{"s3cret-value\n", " s3cret-value", "s3cret\x00value", "s3cret\tvalue"} {
		_, err := gateway.Open(context.Background(), gateway.Options{URL: srv.URL, Secret: secret})
		if !errors.Is(err, gateway.ErrNotConfigured) {
			t.Errorf("Open with secret %q: %v, want ErrNotConfigured", secret, err)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error %q shows the secret", err)
		}
	}
	if requests != 0 {
		t.Errorf("%d requests, want none", requests)
	}
}

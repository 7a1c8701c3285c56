// Package gateway is dmplan's production path for Go services: a small
// Worker (the gateway) that dmplan deploys beside an environment's D1
// database and KV namespaces, and a backend.Backend that talks to it over
// HTTPS, one request per runtime operation in most cases (a Delete by id
// takes up to two, a create with a caller-chosen id two, a save D1 refuses
// for a constraint three: see the README's round-trip counts).
//
// Cloudflare's REST API is meant for administration: 1,200 requests per 5
// minutes per user, shared by every token and tool, and a 5-minute block of
// every call when exceeded. A Worker's own bindings have no such limit. The
// gateway runs an ordered list of primitives (KV get, get many, put, put
// many, delete, delete many, list; D1 query and atomic batch) against its
// bindings and stops at the first failure, so a whole Save (KV put, then
// the D1 upsert) is one request without giving up the KV-first order. The
// runtime keeps all logic; the gateway only executes, authenticated by a
// shared secret.
//
// # The contract with the deploy step
//
// The contract lives in package backend/gateway/worker, which imports
// nothing of dmplan (the planner may use it without depending on the
// backends); this package re-exports it. The script is one ES module
// with no dependencies, Script(), uploaded as MainModule with
// CompatibilityDate. It reports Version in every response.
// Its bindings, built by Config.Bindings from a Config and the secret texts:
//
//	DMPLAN_D1               d1            the environment's D1 database (Config.Database.ID)
//	DMPLAN_CONFIG           plain_text    Config as JSON (Config.JSON)
//	DMPLAN_SECRET           secret_text   the bearer token callers present
//	DMPLAN_SECRET_PREVIOUS  secret_text   optional, accepted too (rotation)
//	<binding>               kv_namespace  one per Config.Namespaces entry, under
//	                                      the project's binding name
//	                                      (binding_prefix + namespace)
//
// A rotation deploys the new secret as DMPLAN_SECRET and the old one as
// DMPLAN_SECRET_PREVIOUS, moves the services to the new secret, then drops
// DMPLAN_SECRET_PREVIOUS.
//
// # The protocol (version 1)
//
// Every request carries "Authorization: Bearer <secret>"; the Worker
// compares SHA-256 digests of the token and of each configured secret in
// constant time. A missing or wrong secret gets 401 and touches nothing.
//
//	GET  /v1/health  -> {"version", "project", "environment", "database": {"id","name"},
//	                     "namespaces": [{"binding","id","title"}], "secrets": 1|2}
//	POST /v1/ops     {"ops": [op, ...]}
//	                 -> {"version", "results": [result, ...], "error"?: {"index","op","code","message"}}
//
// Ops (KV namespaces are addressed by id; an id the gateway has no binding
// for is refused):
//
//	{"op":"kv.get","ns","key","expiration"?:true}  -> {"found", "value"|"value_b64", "metadata"?, "expiration"?}
//	{"op":"kv.get_many","ns","keys":[...]}         -> {"values": {key: text}}   (missing keys absent)
//	{"op":"kv.get_many","ns","keys_from":{"op","statement"?,"column","prefix"?,"suffix"?}}
//	                                               -> {"keys": [...], "values": {...}}
//	{"op":"kv.put","ns","key","value"|"value_b64","metadata"?,"expiration"?}  -> {}
//	{"op":"kv.put_many","ns","entries":[{key, value|value_b64, metadata?, expiration?}]}  -> {}
//	{"op":"kv.delete","ns","key"}  {"op":"kv.delete_many","ns","keys"}  -> {}
//	{"op":"kv.list","ns","prefix"?,"cursor"?,"limit"?}  -> {"keys":[{"name","metadata"?,"expiration"?}],"cursor"}
//	{"op":"d1.query","sql","params"}               -> {"columns","rows","meta"}
//	{"op":"d1.batch","statements":[{"sql","params"}]} -> {"results":[{"columns","rows","meta"}]}
//
// KV values travel as text ("value") when they are UTF-8 and as base64
// ("value_b64") otherwise; get_many reads through the binding's bulk get,
// which returns text, as the REST bulk read does. Expirations are Unix
// seconds. keys_from makes a get_many read its keys from an earlier D1
// op's result: prefix + the column's value + suffix for every row whose
// cell is not NULL (column is 0-based; statement picks a batch's
// statement). That is how a hydrated query page (D1 page, then the KV
// objects of its rows) is one request.
//
// D1 parameters are null, strings, finite numbers and {"b64": ...} for a
// BLOB. D1's binding carries numbers as doubles, so this package sends
// every integer as decimal text and writes its placeholder as
// CAST(?N AS INTEGER), and every float as CAST(?N AS REAL): the value
// stored is exact over the whole int64 range and of the same type as on
// the local backend. Result cells are null, numbers, strings and
// {"b64": ...}; the Worker reads rows through the binding, which returns
// them as objects, so columns are the first row's keys (none for an empty
// result) and duplicate column names collapse. meta carries D1's changes,
// last_row_id, rows_read, rows_written (the billed units) and duration.
//
// Before anything runs the whole list is validated: at most 1,000 ops, a
// 40 MiB body, 1,000 KV calls and 1,000 D1 statements per request; KV keys
// of at most 512 bytes (not "", "." or ".."), values of at most 25 MiB,
// metadata of at most 1,024 bytes, expirations at least 60 seconds ahead;
// D1 statements of at most 100 KB, 100 parameters, one statement per
// entry, no BEGIN/COMMIT/END/ROLLBACK/SAVEPOINT/RELEASE (atomicity comes
// from d1.batch). A refusal is HTTP 400 (413 for the size of the request)
// with error {"code", "message", "index", "op"} naming the op. Error codes:
// unauthorized, bad_request, too_large, invalid_key, invalid_expiration,
// unknown_namespace, transaction, misconfigured; and, for an op that
// failed while running (HTTP 200 with error), d1 (D1's own message), kv,
// ref.
package gateway

// dmplan gateway: a small Worker that runs an ordered list of D1 and KV
// primitives against its own bindings, for Go services that use dmplan's
// runtime (package backend/gateway speaks to it). It holds no application
// logic: validation, authorization, hooks and SQL stay in the runtime.
//
// Bindings (dmplan deploys them; see backend/gateway/doc.go):
//   DMPLAN_D1               the environment's D1 database
//   DMPLAN_CONFIG           plain text, JSON: {version, project, environment,
//                           database: {id, name}, namespaces: [{binding, id, title}]}
//   DMPLAN_SECRET           secret text: the bearer token callers present
//   DMPLAN_SECRET_PREVIOUS  secret text, optional: also accepted (rotation)
//   <binding>               one KV namespace binding per config namespace
//
// Endpoints (every one needs "Authorization: Bearer <secret>"):
//   GET  /v1/health  -> {version, project, environment, database, namespaces, secrets}
//   POST /v1/ops     {"ops": [op, ...]} -> {version, results: [...], error?}
//
// The whole request is validated before anything runs (400 naming the op,
// 413 for a body over the limit). Ops then run in order; the first failing
// op stops the list: results holds the results of the ops before it and
// error = {index, op, code, message}; later ops did not run. Every response
// carries the script version in its body and in the Dmplan-Gateway-Version
// header. This file has no dependencies and is uploaded as is.

const VERSION = "1.1";
const VERSION_HEADER = "Dmplan-Gateway-Version";

// Limits. The platform ones are Cloudflare's; the request ones keep one
// invocation inside a Worker's memory (128 MB) and its 1,000 KV and D1
// calls per invocation.
const MAX_BODY_BYTES = 40 * 1024 * 1024;
const MAX_OPS = 1000;
const MAX_KV_CALLS = 1000;
const MAX_D1_STATEMENTS = 1000;
const MAX_KEY_BYTES = 512;
const MAX_VALUE_BYTES = 25 * 1024 * 1024;
const MAX_METADATA_BYTES = 1024;
const MAX_PARAMS = 100;
const MAX_STATEMENT_BYTES = 100 * 1000;
const MAX_BULK_GET = 100; // keys per KV bulk read
const MAX_REF_KEYS = 1000; // keys a keys_from reference may yield
const MAX_LIST_LIMIT = 1000;
const MIN_EXPIRATION_AHEAD = 60; // seconds
const PARALLEL = 16; // KV calls in flight for put_many / delete_many

const KINDS = new Set([
  "kv.get", "kv.get_many", "kv.put", "kv.put_many", "kv.delete", "kv.delete_many", "kv.list",
  "d1.query", "d1.batch",
]);

export default {
  async fetch(req, env) {
    try {
      return await serve(req, env);
    } catch (e) {
      if (e instanceof Refusal) return refuse(e);
      return reply(500, { error: { code: "internal", message: "gateway error: " + message(e) } });
    }
  },
};

// Refusal is a request refused before anything ran.
class Refusal extends Error {
  constructor(status, code, msg, index, op) {
    super(msg);
    this.status = status;
    this.code = code;
    this.index = index;
    this.op = op;
  }
}

// OpFailure is an op that failed while running.
class OpFailure extends Error {
  constructor(code, msg) {
    super(msg);
    this.code = code;
  }
}

function reply(status, body) {
  return new Response(JSON.stringify({ version: VERSION, ...body }), {
    status,
    headers: { "content-type": "application/json", [VERSION_HEADER]: VERSION, "cache-control": "no-store" },
  });
}

function refuse(e) {
  const err = { code: e.code, message: e.message };
  if (e.index !== undefined) {
    err.index = e.index;
    if (e.op) err.op = e.op;
  }
  return reply(e.status, { error: err });
}

function message(e) {
  return e && e.message ? String(e.message) : String(e);
}

async function serve(req, env) {
  if (!(await authorized(req, env))) {
    throw new Refusal(401, "unauthorized", "missing or wrong gateway secret");
  }
  const cfg = config(env);
  const url = new URL(req.url);
  if (url.pathname === "/v1/health") {
    if (req.method !== "GET") throw new Refusal(405, "method", "use GET for /v1/health");
    return reply(200, {
      project: cfg.project || "",
      environment: cfg.environment || "",
      database: cfg.database || null,
      namespaces: cfg.namespaces,
      config_version: cfg.version || "",
      secrets: env.DMPLAN_SECRET_PREVIOUS ? 2 : 1,
    });
  }
  if (url.pathname === "/v1/ops") {
    if (req.method !== "POST") throw new Refusal(405, "method", "use POST for /v1/ops");
    const body = await readBody(req);
    let parsed;
    try {
      parsed = JSON.parse(body);
    } catch (e) {
      throw new Refusal(400, "bad_request", "body is not JSON: " + message(e));
    }
    const ops = validate(parsed, cfg, env);
    return run(ops, cfg, env);
  }
  throw new Refusal(404, "not_found", "no such gateway path; use /v1/ops or /v1/health");
}

// ---------- configuration and authentication ----------

let cachedConfig = { text: null, value: null };

function config(env) {
  const text = env.DMPLAN_CONFIG;
  if (typeof text !== "string" || text === "") {
    throw new Refusal(500, "misconfigured", "gateway has no DMPLAN_CONFIG binding; run `dmplan apply`");
  }
  if (cachedConfig.text === text) return cachedConfig.value;
  let cfg;
  try {
    cfg = JSON.parse(text);
  } catch (e) {
    throw new Refusal(500, "misconfigured", "DMPLAN_CONFIG is not JSON; run `dmplan apply`");
  }
  const byID = new Map();
  const namespaces = [];
  for (const ns of Array.isArray(cfg.namespaces) ? cfg.namespaces : []) {
    if (!ns || typeof ns.id !== "string" || typeof ns.binding !== "string") continue;
    byID.set(ns.id, ns.binding);
    namespaces.push({ binding: ns.binding, id: ns.id, title: typeof ns.title === "string" ? ns.title : "" });
  }
  const value = {
    version: cfg.version,
    project: cfg.project,
    environment: cfg.environment,
    database: cfg.database && typeof cfg.database === "object" ? { id: cfg.database.id || "", name: cfg.database.name || "" } : null,
    namespaces,
    byID,
  };
  cachedConfig = { text, value };
  return value;
}

async function sha256(s) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
}

function equalDigests(a, b) {
  if (crypto.subtle.timingSafeEqual) return crypto.subtle.timingSafeEqual(a, b);
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

// authorized compares SHA-256 digests of the presented token and of each
// configured secret in constant time; both secrets are always compared.
async function authorized(req, env) {
  const secrets = [env.DMPLAN_SECRET, env.DMPLAN_SECRET_PREVIOUS].filter((s) => typeof s === "string" && s !== "");
  if (typeof env.DMPLAN_SECRET !== "string" || env.DMPLAN_SECRET === "") {
    throw new Refusal(500, "misconfigured", "gateway has no DMPLAN_SECRET; run `dmplan apply`");
  }
  const header = req.headers.get("authorization") || "";
  const token = header.startsWith("Bearer ") ? header.slice(7) : "";
  const given = await sha256(token);
  let ok = false;
  for (const s of secrets) {
    if (equalDigests(given, await sha256(s))) ok = true;
  }
  return ok && token !== "";
}

async function readBody(req) {
  const declared = Number(req.headers.get("content-length") || "0");
  if (declared > MAX_BODY_BYTES) {
    throw new Refusal(413, "too_large", `request body of ${declared} bytes is over the ${MAX_BODY_BYTES}-byte limit`);
  }
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new Refusal(413, "too_large", `request body is over the ${MAX_BODY_BYTES}-byte limit`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(all);
  } catch (e) {
    throw new Refusal(400, "bad_request", "body is not UTF-8");
  }
}

// ---------- validation (nothing runs before the whole list passes) ----------

const encoder = new TextEncoder();

function byteLength(s) {
  return encoder.encode(s).byteLength;
}

function validate(body, cfg, env) {
  if (!body || typeof body !== "object" || !Array.isArray(body.ops)) {
    throw new Refusal(400, "bad_request", 'body must be {"ops": [...]}');
  }
  const ops = body.ops;
  if (ops.length === 0) throw new Refusal(400, "bad_request", "ops is empty");
  if (ops.length > MAX_OPS) throw new Refusal(413, "too_large", `${ops.length} ops (limit ${MAX_OPS})`);
  let kvCalls = 0;
  let statements = 0;
  const out = [];
  ops.forEach((op, i) => {
    const kind = op && typeof op === "object" ? op.op : undefined;
    const bad = (code, msg) => new Refusal(400, code, `op ${i} (${kind}): ${msg}`, i, kind);
    if (typeof kind !== "string" || !KINDS.has(kind)) {
      throw new Refusal(400, "bad_request", `op ${i}: unknown op ${JSON.stringify(kind)}; want one of ${[...KINDS].join(", ")}`, i, typeof kind === "string" ? kind : undefined);
    }
    const v = { op: kind };
    if (kind.startsWith("kv.")) {
      if (typeof op.ns !== "string" || !cfg.byID.has(op.ns)) {
        throw bad("unknown_namespace", `KV namespace ${JSON.stringify(op.ns)} is not bound to this gateway`);
      }
      const binding = cfg.byID.get(op.ns);
      v.kv = env[binding];
      if (!v.kv || typeof v.kv.get !== "function") {
        throw new Refusal(500, "misconfigured", `op ${i}: binding ${binding} of namespace ${op.ns} is missing; run \`dmplan apply\``, i, kind);
      }
    }
    switch (kind) {
      case "kv.get":
        v.key = checkKey(op.key, bad);
        v.expiration = op.expiration === true;
        kvCalls += v.expiration ? 2 : 1;
        break;
      case "kv.get_many":
        if (op.keys_from !== undefined) {
          const r = op.keys_from;
          if (!r || typeof r !== "object" || !Number.isInteger(r.op) || r.op < 0 || r.op >= i) {
            throw bad("bad_request", "keys_from.op must be the index of an earlier op");
          }
          const src = ops[r.op] && ops[r.op].op;
          if (src !== "d1.query" && src !== "d1.batch") throw bad("bad_request", `keys_from.op ${r.op} is ${src}, not a D1 op`);
          // The statement is checked against the op it names, so a
          // reference to a statement that does not exist is refused before
          // anything runs rather than after the ops before it ran.
          const stmts = src === "d1.batch" ? out[r.op].statements.length : 1;
          const st = r.statement === undefined ? 0 : r.statement;
          if (!Number.isInteger(st) || st < 0 || st >= stmts) {
            throw bad("bad_request", `keys_from.statement must name a statement of op ${r.op} (it has ${stmts})`);
          }
          if (!Number.isInteger(r.column) || r.column < 0) throw bad("bad_request", "keys_from.column must be a column index");
          for (const f of ["prefix", "suffix"]) {
            if (r[f] !== undefined && typeof r[f] !== "string") throw bad("bad_request", `keys_from.${f} must be a string`);
          }
          v.ref = { op: r.op, statement: st, column: r.column, prefix: r.prefix || "", suffix: r.suffix || "" };
          kvCalls += MAX_REF_KEYS / MAX_BULK_GET;
        } else {
          if (!Array.isArray(op.keys)) throw bad("bad_request", "keys must be an array (or give keys_from)");
          if (op.keys.length > MAX_REF_KEYS) throw bad("too_large", `${op.keys.length} keys (limit ${MAX_REF_KEYS})`);
          v.keys = op.keys.map((k) => checkKey(k, bad));
          kvCalls += Math.ceil(v.keys.length / MAX_BULK_GET);
        }
        break;
      case "kv.put":
        v.entry = checkEntry(op, bad);
        kvCalls++;
        break;
      case "kv.put_many":
        if (!Array.isArray(op.entries)) throw bad("bad_request", "entries must be an array");
        v.entries = op.entries.map((e) => checkEntry(e, bad));
        kvCalls += v.entries.length;
        break;
      case "kv.delete":
        v.key = checkKey(op.key, bad);
        kvCalls++;
        break;
      case "kv.delete_many":
        if (!Array.isArray(op.keys)) throw bad("bad_request", "keys must be an array");
        v.keys = op.keys.map((k) => checkKey(k, bad));
        kvCalls += v.keys.length;
        break;
      case "kv.list":
        for (const f of ["prefix", "cursor"]) {
          if (op[f] !== undefined && typeof op[f] !== "string") throw bad("bad_request", `${f} must be a string`);
        }
        if (op.limit !== undefined && (!Number.isInteger(op.limit) || op.limit < 0 || op.limit > MAX_LIST_LIMIT)) {
          throw bad("bad_request", `limit must be an integer from 0 to ${MAX_LIST_LIMIT}`);
        }
        if (op.prefix && byteLength(op.prefix) > MAX_KEY_BYTES) throw bad("too_large", `prefix over ${MAX_KEY_BYTES} bytes`);
        v.prefix = op.prefix || "";
        v.cursor = op.cursor || "";
        v.limit = op.limit || MAX_LIST_LIMIT;
        kvCalls++;
        break;
      case "d1.query":
        v.statements = [checkStatement(op, bad, "")];
        statements++;
        break;
      case "d1.batch":
        if (!Array.isArray(op.statements) || op.statements.length === 0) throw bad("bad_request", "statements must be a non-empty array");
        v.statements = op.statements.map((s, j) => checkStatement(s, bad, `statement ${j}: `));
        statements += v.statements.length;
        break;
    }
    if (kind.startsWith("d1.") && !(env.DMPLAN_D1 && typeof env.DMPLAN_D1.prepare === "function")) {
      throw new Refusal(500, "misconfigured", "gateway has no DMPLAN_D1 binding; run `dmplan apply`", i, kind);
    }
    out.push(v);
  });
  if (kvCalls > MAX_KV_CALLS) throw new Refusal(413, "too_large", `request needs ${kvCalls} KV calls (limit ${MAX_KV_CALLS} per request); split it`);
  if (statements > MAX_D1_STATEMENTS) throw new Refusal(413, "too_large", `request holds ${statements} D1 statements (limit ${MAX_D1_STATEMENTS}); split it`);
  return out;
}

function checkKey(key, bad) {
  if (typeof key !== "string") throw bad("bad_request", "key must be a string");
  if (key === "" || key === "." || key === "..") throw bad("invalid_key", `key ${JSON.stringify(key)} is not allowed`);
  const n = byteLength(key);
  if (n > MAX_KEY_BYTES) throw bad("too_large", `key of ${n} bytes (limit ${MAX_KEY_BYTES})`);
  return key;
}

function checkEntry(e, bad) {
  if (!e || typeof e !== "object") throw bad("bad_request", "entry must be an object");
  const key = checkKey(e.key, bad);
  let value;
  if (typeof e.value === "string" && e.value_b64 === undefined) {
    value = e.value;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: only long text is measured.
    if (value.length > MAX_VALUE_BYTES / 3) {
      const n = byteLength(value);
      if (n > MAX_VALUE_BYTES) throw bad("too_large", `value of ${JSON.stringify(key)} holds ${n} bytes (limit ${MAX_VALUE_BYTES})`);
    }
  } else if (typeof e.value_b64 === "string" && e.value === undefined) {
    try {
      value = fromBase64(e.value_b64);
    } catch (err) {
      throw bad("bad_request", `value_b64 of ${JSON.stringify(key)} is not base64`);
    }
    if (value.byteLength > MAX_VALUE_BYTES) throw bad("too_large", `value of ${JSON.stringify(key)} holds ${value.byteLength} bytes (limit ${MAX_VALUE_BYTES})`);
  } else {
    throw bad("bad_request", `entry ${JSON.stringify(key)} needs exactly one of value (text) and value_b64`);
  }
  const opts = {};
  if (e.metadata !== undefined && e.metadata !== null) {
    const n = byteLength(JSON.stringify(e.metadata));
    if (n > MAX_METADATA_BYTES) throw bad("too_large", `metadata of ${JSON.stringify(key)} holds ${n} bytes (limit ${MAX_METADATA_BYTES})`);
    opts.metadata = e.metadata;
  }
  if (e.expiration !== undefined && e.expiration !== null && e.expiration !== 0) {
    if (!Number.isInteger(e.expiration)) throw bad("bad_request", `expiration of ${JSON.stringify(key)} must be Unix seconds`);
    if (e.expiration < Date.now() / 1000 + MIN_EXPIRATION_AHEAD) {
      throw bad("invalid_expiration", `expiration of ${JSON.stringify(key)} must be at least ${MIN_EXPIRATION_AHEAD} seconds ahead`);
    }
    opts.expiration = e.expiration;
  }
  return { key, value, opts };
}

function checkStatement(s, bad, where) {
  if (!s || typeof s !== "object" || typeof s.sql !== "string") throw bad("bad_request", where + "sql must be a string");
  const n = byteLength(s.sql);
  if (n > MAX_STATEMENT_BYTES) throw bad("too_large", `${where}statement of ${n} bytes (limit ${MAX_STATEMENT_BYTES})`);
  const params = s.params === undefined || s.params === null ? [] : s.params;
  if (!Array.isArray(params)) throw bad("bad_request", where + "params must be an array");
  if (params.length > MAX_PARAMS) throw bad("too_large", `${where}${params.length} bound parameters (limit ${MAX_PARAMS})`);
  const info = scanSQL(s.sql);
  if (info.error) throw bad(info.code || "bad_request", where + info.error);
  if (info.params > MAX_PARAMS) throw bad("too_large", `${where}statement uses ${info.params} parameters (limit ${MAX_PARAMS})`);
  const bound = params.map((p, k) => {
    if (p === null || typeof p === "string") return p;
    if (typeof p === "number") {
      if (!Number.isFinite(p)) throw bad("bad_request", `${where}parameter ${k + 1} is not a finite number`);
      return p;
    }
    if (typeof p === "boolean") return p ? 1 : 0;
    if (p && typeof p === "object" && typeof p.b64 === "string") {
      try {
        return fromBase64(p.b64);
      } catch (e) {
        throw bad("bad_request", `${where}parameter ${k + 1}: b64 is not base64`);
      }
    }
    throw bad("bad_request", `${where}parameter ${k + 1} must be null, a string, a number, a boolean or {"b64": ...}`);
  });
  return { sql: s.sql, params: bound };
}

// scanSQL skips literals, quoted identifiers and comments, and finds the
// first keyword, the number of parameters and whether the text holds more
// than one statement (a trigger body's BEGIN ... END is one statement).
function scanSQL(sql) {
  let keyword = "";
  let params = 0;
  let statements = 0;
  let first = true;
  let trigger = false;
  let body = false;
  let cases = 0;
  let words = 0;
  const n = sql.length;
  const isIdent = (c) => /[A-Za-z0-9_\u0080-\uffff]/.test(c);
  const mark = () => {
    if (first) {
      first = false;
      statements++;
    }
  };
  let i = 0;
  while (i < n) {
    const c = sql[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v") {
      i++;
    } else if (c === "-" && sql[i + 1] === "-") {
      const k = sql.indexOf("\n", i);
      i = k < 0 ? n : k;
    } else if (c === "/" && sql[i + 1] === "*") {
      const k = sql.indexOf("*/", i + 2);
      i = k < 0 ? n : k + 2;
    } else if (c === "'" || c === '"' || c === "`" || c === "[") {
      const close = c === "[" ? "]" : c;
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf(close, j);
        if (k < 0) {
          j = n;
          break;
        }
        if (close !== "]" && sql[k + 1] === close) {
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      mark();
      i = j;
    } else if (c === ";") {
      first = !body;
      i++;
    } else if (c === "?") {
      mark();
      let j = i + 1;
      while (j < n && sql[j] >= "0" && sql[j] <= "9") j++;
      if (j === i + 1) params++;
      else params = Math.max(params, Math.min(Number(sql.slice(i + 1, j)), 1e9));
      i = j;
    } else if ((c === ":" || c === "@" || c === "$") && i + 1 < n && isIdent(sql[i + 1])) {
      mark();
      params++;
      i++;
      while (i < n && isIdent(sql[i])) i++;
    } else if (isIdent(c)) {
      let j = i;
      while (j < n && isIdent(sql[j])) j++;
      const word = sql.slice(i, j).toUpperCase();
      if (statements <= 1) {
        words++;
        if (words <= 4 && keyword === "CREATE" && word === "TRIGGER") trigger = true;
        else if (trigger && !body && word === "BEGIN") body = true;
        else if (body && word === "CASE") cases++;
        else if (body && word === "END") {
          if (cases > 0) cases--;
          else body = false;
        }
      }
      if (first) {
        first = false;
        statements++;
        if (statements === 1) keyword = word;
      }
      i = j;
    } else {
      mark();
      i++;
    }
  }
  if (keyword === "") return { error: "empty statement" };
  if (["BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"].includes(keyword)) {
    return { code: "transaction", error: `${keyword}: transaction statements are not allowed; use d1.batch` };
  }
  if (statements > 1) return { error: `${statements} statements in one sql; send one statement per entry` };
  return { keyword, params };
}

// ---------- running ----------

async function run(ops, cfg, env) {
  const results = [];
  for (let i = 0; i < ops.length; i++) {
    try {
      results.push(await runOp(ops[i], results, env));
    } catch (e) {
      const code = e instanceof OpFailure ? e.code : isD1Error(e) ? "d1" : ops[i].op.startsWith("kv.") ? "kv" : "internal";
      return reply(200, { results, error: { index: i, op: ops[i].op, code, message: d1Message(message(e)) } });
    }
  }
  return reply(200, { results });
}

async function runOp(op, results, env) {
  switch (op.op) {
    case "kv.get": {
      const got = await op.kv.getWithMetadata(op.key, { type: "arrayBuffer" });
      if (got.value === null) return { found: false };
      const out = { found: true, ...encodeValue(got.value) };
      if (got.metadata !== null && got.metadata !== undefined) out.metadata = got.metadata;
      if (op.expiration) {
        const page = await op.kv.list({ prefix: op.key, limit: 1 });
        const k = page.keys[0];
        if (k && k.name === op.key && k.expiration) out.expiration = k.expiration;
      }
      return out;
    }
    case "kv.get_many": {
      const keys = op.ref ? refKeys(op.ref, results) : op.keys;
      const unique = [...new Set(keys)];
      const values = {};
      for (let at = 0; at < unique.length; at += MAX_BULK_GET) {
        const chunk = unique.slice(at, at + MAX_BULK_GET);
        const got = await op.kv.get(chunk, "text");
        for (const [k, v] of got) if (v !== null && v !== undefined) values[k] = v;
      }
      return op.ref ? { keys: unique, values } : { values };
    }
    case "kv.put":
      await op.kv.put(op.entry.key, op.entry.value, op.entry.opts);
      return {};
    case "kv.put_many":
      await pool(op.entries, (e) => op.kv.put(e.key, e.value, e.opts));
      return {};
    case "kv.delete":
      await op.kv.delete(op.key);
      return {};
    case "kv.delete_many":
      await pool([...new Set(op.keys)], (k) => op.kv.delete(k));
      return {};
    case "kv.list": {
      const opts = { limit: op.limit };
      if (op.prefix) opts.prefix = op.prefix;
      if (op.cursor) opts.cursor = op.cursor;
      const page = await op.kv.list(opts);
      return {
        keys: page.keys.map((k) => {
          const o = { name: k.name };
          if (k.expiration) o.expiration = k.expiration;
          if (k.metadata !== undefined && k.metadata !== null) o.metadata = k.metadata;
          return o;
        }),
        cursor: page.list_complete ? "" : page.cursor || "",
      };
    }
    case "d1.query": {
      const s = op.statements[0];
      return d1Result(await env.DMPLAN_D1.prepare(s.sql).bind(...s.params).all());
    }
    case "d1.batch": {
      const db = env.DMPLAN_D1;
      const rs = await db.batch(op.statements.map((s) => db.prepare(s.sql).bind(...s.params)));
      return { results: rs.map(d1Result) };
    }
  }
  throw new OpFailure("internal", "unknown op " + op.op);
}

// refKeys reads the keys of a kv.get_many from an earlier D1 result:
// prefix + the text of the column + suffix for each row; NULL cells are
// skipped.
function refKeys(ref, results) {
  const src = results[ref.op];
  const res = src && src.results ? src.results[ref.statement] : src;
  if (!res || !Array.isArray(res.rows)) throw new OpFailure("ref", `keys_from: op ${ref.op} has no statement ${ref.statement}`);
  const keys = [];
  for (const row of res.rows) {
    if (ref.column >= row.length) throw new OpFailure("ref", `keys_from: op ${ref.op} has no column ${ref.column}`);
    const cell = row[ref.column];
    if (cell === null || cell === undefined) continue;
    if (typeof cell !== "string" && typeof cell !== "number") throw new OpFailure("ref", `keys_from: column ${ref.column} holds a BLOB`);
    const key = ref.prefix + String(cell) + ref.suffix;
    if (key === "." || key === ".." || byteLength(key) > MAX_KEY_BYTES) throw new OpFailure("ref", `keys_from: key ${JSON.stringify(key)} is not a valid KV key`);
    keys.push(key);
  }
  if (keys.length > MAX_REF_KEYS) throw new OpFailure("ref", `keys_from yields ${keys.length} keys (limit ${MAX_REF_KEYS})`);
  return keys;
}

async function pool(items, fn) {
  let next = 0;
  let failed = null;
  const worker = async () => {
    while (failed === null && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (e) {
        if (failed === null) failed = e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
  if (failed !== null) throw failed;
}

// d1Result turns a D1Result into {columns, rows, meta}. Columns are the keys
// of the first row (D1's binding returns rows as objects), so a result with
// no rows has no columns. BLOB cells become {"b64": ...}.
function d1Result(r) {
  const objs = r.results || [];
  const columns = objs.length > 0 ? Object.keys(objs[0]) : [];
  const rows = objs.map((o) => columns.map((c) => encodeCell(o[c])));
  const m = r.meta || {};
  return {
    columns,
    rows,
    meta: {
      changes: m.changes || 0,
      last_row_id: m.last_row_id || 0,
      rows_read: m.rows_read || 0,
      rows_written: m.rows_written || 0,
      duration: m.duration || 0,
      changed_db: !!m.changed_db,
    },
  };
}

function encodeCell(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === "number" || typeof v === "string") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return { b64: toBase64(Uint8Array.from(v)) };
  if (v instanceof ArrayBuffer) return { b64: toBase64(new Uint8Array(v)) };
  if (ArrayBuffer.isView(v)) return { b64: toBase64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  return String(v);
}

// encodeValue carries a KV value as text when it is UTF-8, else base64.
function encodeValue(buf) {
  const bytes = new Uint8Array(buf);
  try {
    return { value: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch (e) {
    return { value_b64: toBase64(bytes) };
  }
}

function isD1Error(e) {
  return /D1_|SQLITE_/.test(message(e));
}

// d1Message turns the binding's "D1_ERROR: no such table: x: SQLITE_ERROR"
// into D1's own "no such table: x: SQLITE_ERROR", as the REST API words it.
function d1Message(msg) {
  return msg.replace(/^(Error: )?D1_(TYPE_|COLUMN_NOTFOUND_|EXEC_)?ERROR: /, "");
}

// ---------- base64 (no dependencies; atob/btoa work on binary strings) ----------

function toBase64(bytes) {
  let s = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + step));
  }
  return btoa(s);
}

function fromBase64(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

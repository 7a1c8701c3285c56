// worker.js serves the Cloudflare REST paths that dmplan's Cloudflare backend
// (cloudflare-go v6) calls, on top of real workerd D1 and KV bindings run by
// miniflare. It is a test harness, not a Cloudflare clone: see README.md.
//
// Storage model (honest about what is real):
//   - Every D1 database is its own real D1 binding (D1_0 … D1_{n-1}, "slots").
//     Creating a database takes a free slot and wipes it; deleting frees it.
//   - Every KV namespace is its own real KV binding (KV_0 … KV_{m-1}), so keys
//     keep the full 512-byte limit, byte order and cursor semantics of KV.
//   - The catalogue (accounts, database names and ids, namespace titles and
//     ids, slot assignments) lives in the META D1 binding. Account ids are free
//     strings: each account sees only its own databases and namespaces, which
//     is how tests get isolation inside one harness process.
//
// D1 statements run through the binding's batch transport (the same call
// D1Database.batch() makes, which runs the whole list in one storage
// transaction), asking for rows-and-columns for /raw and objects for /query,
// exactly like the two REST endpoints.

import { workersRoute, zonesRoute, scriptsForServing } from "./workers.js";
import { handle as jsWriter } from "./jswriter.mjs"; // .mjs: miniflare loads .js imports as CommonJS

const API = "/client/v4/accounts/";
const ZONES = "/client/v4/zones/";

export default {
  async fetch(req, env) {
    try {
      return await route(req, env);
    } catch (e) {
      if (e instanceof APIError) return fail(e.status, e.code, e.message);
      return fail(500, 10001, `internal harness error: ${e && e.message ? e.message : String(e)}`);
    }
  },
};

class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function ok(result, extra = {}) {
  return Response.json({ success: true, errors: [], messages: [], result, ...extra });
}

function fail(status, code, message) {
  return Response.json(
    { success: false, errors: [{ code, message }], messages: [], result: null },
    { status },
  );
}

async function route(req, env) {
  const url = new URL(req.url);
  const auth = req.headers.get("authorization") || "";
  if (auth !== `Bearer ${env.TOKEN}`) throw new APIError(401, 10000, "Authentication error");
  if (url.pathname === "/__jswriter" && req.method === "POST") return jsWriterRoute(req, env);
  const helpers = { ok, APIError, readJSON };
  if (url.pathname === "/__harness_internal/scripts" && req.method === "GET") {
    await ensureCatalogue(env);
    return Response.json(await scriptsForServing(env));
  }
  if (url.pathname.startsWith(ZONES)) {
    await ensureCatalogue(env);
    return zonesRoute(req, env, url, url.pathname.slice(ZONES.length), helpers);
  }
  if (!url.pathname.startsWith(API)) throw new APIError(404, 7003, "Could not route to " + url.pathname);
  const rest = url.pathname.slice(API.length);
  const slash = rest.indexOf("/");
  if (slash <= 0) throw new APIError(404, 7003, "Could not route to " + url.pathname);
  const acct = decodeURIComponent(rest.slice(0, slash));
  const path = rest.slice(slash + 1);
  await ensureCatalogue(env);
  if (path === "d1/database" || path.startsWith("d1/database/")) {
    return d1Route(req, env, url, acct, path.slice("d1/database".length));
  }
  if (path === "storage/kv/namespaces" || path.startsWith("storage/kv/namespaces/")) {
    return kvRoute(req, env, url, acct, path.slice("storage/kv/namespaces".length));
  }
  if (path === "workers" || path.startsWith("workers/")) {
    return workersRoute(req, env, url, acct, path.slice("workers".length), helpers);
  }
  throw new APIError(404, 7003, "Could not route to " + url.pathname);
}

// ---------- catalogue ----------

let catalogueReady = false;

async function ensureCatalogue(env) {
  if (catalogueReady) return;
  const d1Slots = Number(env.D1_SLOTS);
  const kvSlots = Number(env.KV_SLOTS);
  const stmts = [
    "CREATE TABLE IF NOT EXISTS d1_slots (n INTEGER PRIMARY KEY, used INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS kv_slots (n INTEGER PRIMARY KEY, used INTEGER NOT NULL DEFAULT 0)",
    `CREATE TABLE IF NOT EXISTS databases (uuid TEXT PRIMARY KEY, acct TEXT NOT NULL, name TEXT NOT NULL,
       slot INTEGER NOT NULL UNIQUE, created_at TEXT NOT NULL, writes INTEGER NOT NULL DEFAULT 0, jurisdiction TEXT,
       UNIQUE (acct, name))`,
    `CREATE TABLE IF NOT EXISTS namespaces (id TEXT PRIMARY KEY, acct TEXT NOT NULL, title TEXT NOT NULL,
       slot INTEGER NOT NULL UNIQUE, UNIQUE (acct, title))`,
  ].map((s) => env.META.prepare(s));
  stmts.push(env.META.prepare(
    "INSERT OR IGNORE INTO d1_slots (n) SELECT value FROM json_each(?)").bind(JSON.stringify([...Array(d1Slots).keys()])));
  stmts.push(env.META.prepare(
    "INSERT OR IGNORE INTO kv_slots (n) SELECT value FROM json_each(?)").bind(JSON.stringify([...Array(kvSlots).keys()])));
  await env.META.batch(stmts);
  catalogueReady = true;
}

function newID() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

function uuidOf(hex) {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function readJSON(req) {
  try {
    return await req.json();
  } catch (e) {
    throw new APIError(400, 10026, "Malformed JSON in request body");
  }
}

function pageParams(url) {
  const page = Math.max(1, Number(url.searchParams.get("page") || 1));
  const perPage = Math.min(1000, Math.max(1, Number(url.searchParams.get("per_page") || 20)));
  return { page, perPage };
}

function paged(rows, url, mapRow) {
  const { page, perPage } = pageParams(url);
  const slice = rows.slice((page - 1) * perPage, page * perPage);
  return ok(slice.map(mapRow), {
    result_info: { page, per_page: perPage, count: slice.length, total_count: rows.length },
  });
}

// ---------- D1 ----------

function d1Binding(env, slot) {
  return env[`D1_${slot}`];
}

function d1Record(row) {
  return {
    uuid: row.uuid, name: row.name, version: "production", created_at: row.created_at,
    file_size: 0, num_tables: 0, jurisdiction: row.jurisdiction ?? null,
  };
}

async function findDatabase(env, acct, id) {
  const row = await env.META.prepare("SELECT * FROM databases WHERE acct = ? AND uuid = ?").bind(acct, id).first();
  if (!row) throw new APIError(404, 7404, `The database ${id} could not be found`);
  return row;
}

async function d1Route(req, env, url, acct, sub) {
  const parts = sub.split("/").filter(Boolean);
  if (parts.length === 0) {
    if (req.method === "GET") {
      const name = url.searchParams.get("name");
      const rows = name
        ? (await env.META.prepare("SELECT * FROM databases WHERE acct = ? AND name = ? ORDER BY created_at, uuid").bind(acct, name).all()).results
        : (await env.META.prepare("SELECT * FROM databases WHERE acct = ? ORDER BY created_at, uuid").bind(acct).all()).results;
      return paged(rows, url, d1Record);
    }
    if (req.method === "POST") return createDatabase(env, acct, await readJSON(req));
    throw new APIError(405, 10405, "Method not allowed");
  }
  const db = await findDatabase(env, acct, parts[0]);
  const action = parts.slice(1).join("/");
  if (action === "" && req.method === "GET") return ok(d1Record(db));
  if (action === "" && req.method === "DELETE") {
    await env.META.prepare("DELETE FROM databases WHERE uuid = ?").bind(db.uuid).run();
    return ok(null);
  }
  if ((action === "query" || action === "raw") && req.method === "POST") {
    return d1Query(env, db, await readJSON(req), action === "raw");
  }
  if (action === "time_travel/bookmark" && req.method === "GET") {
    return ok({ bookmark: bookmark(db) });
  }
  throw new APIError(404, 7003, "Could not route to " + url.pathname);
}

async function createDatabase(env, acct, body) {
  const name = body && typeof body.name === "string" ? body.name : "";
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/i.test(name)) throw new APIError(400, 7400, "The database name is invalid");
  const jurisdiction = body && body.jurisdiction != null ? body.jurisdiction : null;
  if (jurisdiction !== null && jurisdiction !== "eu" && jurisdiction !== "fedramp") {
    throw new APIError(400, 7400, "The jurisdiction is invalid");
  }
  const id = uuidOf(newID());
  let row;
  try {
    row = await env.META.prepare(
      `INSERT INTO databases (uuid, acct, name, slot, created_at, jurisdiction)
       SELECT ?, ?, ?, n, ?, ? FROM d1_slots WHERE n NOT IN (SELECT slot FROM databases) ORDER BY used, n LIMIT 1
       RETURNING *`).bind(id, acct, name, new Date().toISOString(), jurisdiction).first();
  } catch (e) {
    if (String(e.message).includes("UNIQUE")) throw new APIError(400, 7502, "A database with that name already exists");
    throw e;
  }
  if (!row) throw new APIError(400, 7406, "harness: every D1 slot is in use; start it with more --d1-slots");
  // Never-used slots are taken first; a recycled one is emptied.
  const [prev] = await env.META.batch([
    env.META.prepare("SELECT used FROM d1_slots WHERE n = ?").bind(row.slot),
    env.META.prepare("UPDATE d1_slots SET used = 1 WHERE n = ?").bind(row.slot),
  ]);
  if (prev.results.length && prev.results[0].used) await wipeD1(d1Binding(env, row.slot));
  return ok(d1Record(row));
}

// wipeD1 empties a recycled slot so a new database starts empty.
async function wipeD1(db) {
  const objs = (await db.prepare(
    "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND type IN ('table','view','trigger')").all()).results;
  if (objs.length === 0) return;
  const order = { trigger: 0, view: 1, table: 2 };
  objs.sort((a, b) => order[a.type] - order[b.type]);
  const stmts = [db.prepare("PRAGMA defer_foreign_keys = on")];
  for (const o of objs) stmts.push(db.prepare(`DROP ${o.type.toUpperCase()} IF EXISTS "${o.name.replace(/"/g, '""')}"`));
  await db.batch(stmts);
}

function d1Statements(body) {
  if (body && Array.isArray(body.batch)) return body.batch;
  if (body && typeof body.sql === "string") return [{ sql: body.sql, params: body.params }];
  throw new APIError(400, 7400, "The request body must hold sql or batch");
}

async function d1Query(env, dbRow, body, raw) {
  const db = d1Binding(env, dbRow.slot);
  const stmts = d1Statements(body);
  for (const s of stmts) {
    if (!s || typeof s.sql !== "string") throw new APIError(400, 7400, "Each statement needs sql");
    if (s.params != null && !Array.isArray(s.params)) throw new APIError(400, 7400, "params must be an array");
    for (const p of s.params || []) {
      const bytes = Array.isArray(p) && p.every((b) => Number.isInteger(b) && b >= 0 && b <= 255);
      if (p !== null && !bytes && typeof p !== "string" && typeof p !== "number" && typeof p !== "boolean") {
        throw new APIError(400, 7400, "params must be strings, numbers, booleans, null or arrays of bytes");
      }
    }
  }
  const session = db.alwaysPrimarySession;
  if (!session || typeof session._sendOrThrow !== "function") {
    throw new Error("this workerd D1 binding has no batch transport; pin the miniflare version in package.json");
  }
  let results;
  try {
    // Exactly what D1Database.batch() does, minus its conversion of rows to
    // objects (which loses duplicate and integer-like column names); the
    // span argument is the binding's tracing hook, unused here.
    const bound = stmts.map((s) => integerPlaceholders(s.sql, s.params || []));
    results = await session._sendOrThrow(
      "/query",
      bound.map((b) => b.sql),
      bound.map((b) => b.params),
      "ROWS_AND_COLUMNS",
      noSpan,
    );
  } catch (e) {
    throw new APIError(400, 7500, d1Message(e));
  }
  if (results.some((r) => r.meta.changed_db)) {
    await env.META.prepare("UPDATE databases SET writes = writes + 1 WHERE uuid = ?").bind(dbRow.uuid).run();
  }
  return ok(results.map((r) => ({
    success: true,
    results: raw ? r.results : toObjects(r.results),
    meta: {
      changed_db: !!r.meta.changed_db, changes: r.meta.changes, duration: r.meta.duration,
      last_row_id: r.meta.last_row_id, rows_read: r.meta.rows_read, rows_written: r.meta.rows_written,
      served_by_colo: "LOCAL", served_by_primary: true, served_by_region: "WEUR",
      size_after: r.meta.size_after, timings: { sql_duration_ms: r.meta.duration },
    },
  })));
}

const noSpan = { setAttribute() {} };

// integerPlaceholders makes integral JSON numbers bind as SQLite INTEGER.
// Cloudflare's D1 stores an integral JavaScript number as INTEGER (D1's type
// conversion table); miniflare's local D1 binds every number as a double, so
// an integer written to an untyped column would come back as REAL. The
// placeholder of such a parameter is rewritten to CAST(?N AS INTEGER), which
// is exact within JavaScript's safe integer range. Booleans become 1/0.
// String literals, quoted identifiers and comments are skipped.
function integerPlaceholders(sql, params) {
  params = params.map((p) => (typeof p === "boolean" ? (p ? 1 : 0) : p));
  const isInt = (p) => typeof p === "number" && Number.isSafeInteger(p);
  if (!params.some(isInt)) return { sql, params };
  let out = "";
  let next = 1; // number of the next anonymous "?"
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === "`" || c === "[") {
      const close = c === "[" ? "]" : c;
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf(close, j);
        if (k < 0) { j = sql.length; break; }
        if (close !== "]" && sql[k + 1] === close) { j = k + 2; continue; }
        j = k + 1;
        break;
      }
      out += sql.slice(i, j);
      i = j;
    } else if (c === "-" && sql[i + 1] === "-") {
      const k = sql.indexOf("\n", i);
      const j = k < 0 ? sql.length : k;
      out += sql.slice(i, j);
      i = j;
    } else if (c === "/" && sql[i + 1] === "*") {
      const k = sql.indexOf("*/", i + 2);
      const j = k < 0 ? sql.length : k + 2;
      out += sql.slice(i, j);
      i = j;
    } else if (c === "?") {
      let j = i + 1;
      while (j < sql.length && sql[j] >= "0" && sql[j] <= "9") j++;
      const n = j > i + 1 ? Number(sql.slice(i + 1, j)) : next;
      next = Math.max(next, n + 1);
      out += isInt(params[n - 1]) ? `CAST(?${n} AS INTEGER)` : `?${n}`;
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return { sql: out, params };
}

function toObjects(rc) {
  return rc.rows.map((row) => Object.fromEntries(rc.columns.map((c, i) => [c, row[i]])));
}

// d1Message turns the binding's "D1_ERROR: no such table: x: SQLITE_ERROR"
// into the REST API's "no such table: x: SQLITE_ERROR".
function d1Message(e) {
  let msg = e && e.message ? e.message : String(e);
  msg = msg.replace(/^(Error: )?D1_(TYPE_)?ERROR: /, "");
  return msg;
}

// bookmark is a stand-in for a Time Travel bookmark, in D1's format: it
// stays the same while nothing is written and moves with every write. The
// harness does not serve restores.
function bookmark(db) {
  const hex8 = (n) => n.toString(16).padStart(8, "0");
  return `${hex8(db.writes)}-00000000-00000000-${db.uuid.replace(/-/g, "")}`;
}

// ---------- KV ----------

function kvBinding(env, slot) {
  return env[`KV_${slot}`];
}

function nsRecord(row) {
  return { id: row.id, title: row.title, supports_url_encoding: true };
}

async function findNamespace(env, acct, id) {
  const row = await env.META.prepare("SELECT * FROM namespaces WHERE acct = ? AND id = ?").bind(acct, id).first();
  if (!row) throw new APIError(404, 10013, "get namespace: 'namespace not found'");
  return row;
}

async function kvRoute(req, env, url, acct, sub) {
  const parts = sub.split("/").filter((p) => p !== "");
  if (parts.length === 0) {
    if (req.method === "GET") {
      const rows = (await env.META.prepare("SELECT * FROM namespaces WHERE acct = ? ORDER BY id").bind(acct).all()).results;
      return paged(rows, url, nsRecord);
    }
    if (req.method === "POST") return createNamespace(env, acct, await readJSON(req));
    throw new APIError(405, 10405, "Method not allowed");
  }
  const ns = await findNamespace(env, acct, parts[0]);
  const kv = kvBinding(env, ns.slot);
  const action = parts[1] || "";
  if (action === "" && req.method === "GET") return ok(nsRecord(ns));
  if (action === "" && req.method === "DELETE") {
    await env.META.prepare("DELETE FROM namespaces WHERE id = ?").bind(ns.id).run();
    return ok(null);
  }
  if (action === "values" || action === "metadata") {
    // The key is everything after ".../values/", percent-decoded (the
    // namespace supports URL encoding, so "%2F" is a "/" in the key).
    const marker = `/${action}/`;
    const rawKey = url.pathname.slice(url.pathname.indexOf(marker, url.pathname.indexOf(ns.id)) + marker.length);
    let key;
    try {
      key = decodeURIComponent(rawKey);
    } catch (e) {
      throw new APIError(400, 10019, "invalid key encoding");
    }
    if (action === "metadata" && req.method === "GET") return kvMetadata(kv, key);
    if (action === "values" && req.method === "GET") return kvGet(kv, key);
    if (action === "values" && req.method === "PUT") return kvPut(kv, key, req, url);
    if (action === "values" && req.method === "DELETE") {
      await kv.delete(key);
      return ok(null);
    }
  }
  if (action === "keys" && req.method === "GET") return kvList(kv, url);
  if (action === "bulk" && parts.length === 2 && req.method === "PUT") return kvBulkPut(kv, await readJSON(req));
  if (action === "bulk" && parts[2] === "delete" && req.method === "POST") return kvBulkDelete(kv, await readJSON(req));
  if (action === "bulk" && parts[2] === "get" && req.method === "POST") return kvBulkGet(kv, await readJSON(req));
  throw new APIError(404, 7003, "Could not route to " + url.pathname);
}

async function createNamespace(env, acct, body) {
  const title = body && typeof body.title === "string" ? body.title : "";
  if (title === "" || title.length > 512) throw new APIError(400, 10019, "namespace title is invalid");
  let row;
  try {
    row = await env.META.prepare(
      `INSERT INTO namespaces (id, acct, title, slot)
       SELECT ?, ?, ?, n FROM kv_slots WHERE n NOT IN (SELECT slot FROM namespaces) ORDER BY used, n LIMIT 1
       RETURNING *`).bind(newID(), acct, title).first();
  } catch (e) {
    if (String(e.message).includes("UNIQUE")) {
      throw new APIError(400, 10014, "create namespace: 'a namespace with this account ID and title already exists'");
    }
    throw e;
  }
  if (!row) throw new APIError(400, 10017, "harness: every KV slot is in use; start it with more --kv-slots");
  const [prev] = await env.META.batch([
    env.META.prepare("SELECT used FROM kv_slots WHERE n = ?").bind(row.slot),
    env.META.prepare("UPDATE kv_slots SET used = 1 WHERE n = ?").bind(row.slot),
  ]);
  if (prev.results.length && prev.results[0].used) await wipeKV(kvBinding(env, row.slot));
  return ok(nsRecord(row));
}

async function wipeKV(kv) {
  let cursor;
  for (;;) {
    const page = await kv.list({ cursor, limit: 1000 });
    await Promise.all(page.keys.map((k) => kv.delete(k.name)));
    if (page.list_complete) return;
    cursor = page.cursor;
  }
}

// kvError maps a binding error (key too long, value too large, bad TTL) to
// the REST error envelope.
function kvError(e) {
  const msg = e && e.message ? e.message : String(e);
  if (/too (long|large)|exceeds/i.test(msg)) return new APIError(413, 10033, msg);
  return new APIError(400, 10019, msg);
}

async function kvGet(kv, key) {
  let got;
  try {
    got = await kv.getWithMetadata(key, { type: "arrayBuffer" });
  } catch (e) {
    throw kvError(e);
  }
  if (got.value === null) throw new APIError(404, 10009, "get: 'key not found'");
  const headers = { "content-type": "application/octet-stream" };
  const listed = await kv.list({ prefix: key, limit: 1 });
  if (listed.keys.length && listed.keys[0].name === key && listed.keys[0].expiration) {
    headers.expiration = String(listed.keys[0].expiration);
  }
  return new Response(got.value, { headers });
}

async function kvMetadata(kv, key) {
  const got = await kv.getWithMetadata(key, { type: "arrayBuffer" });
  if (got.value === null) throw new APIError(404, 10009, "get: 'key not found'");
  return ok(got.metadata);
}

function putOptions(expiration, ttl) {
  const opts = {};
  if (ttl !== undefined && ttl !== null && ttl !== "") opts.expirationTtl = Number(ttl);
  else if (expiration !== undefined && expiration !== null && expiration !== "") opts.expiration = Number(expiration);
  return opts;
}

async function kvPut(kv, key, req, url) {
  const opts = putOptions(url.searchParams.get("expiration"), url.searchParams.get("expiration_ttl"));
  let value;
  const ct = req.headers.get("content-type") || "";
  if (ct.startsWith("multipart/form-data")) {
    const form = await req.formData();
    const v = form.get("value");
    if (v === null) throw new APIError(400, 10047, "multipart put request does not contain required form field 'value'");
    value = typeof v === "string" ? v : await v.arrayBuffer();
    const md = form.get("metadata");
    if (md !== null && md !== "") {
      const text = typeof md === "string" ? md : await md.text();
      try {
        opts.metadata = JSON.parse(text);
      } catch (e) {
        throw new APIError(400, 10026, "metadata is not valid JSON");
      }
    }
  } else {
    value = await req.arrayBuffer();
  }
  try {
    await kv.put(key, value, opts);
  } catch (e) {
    throw kvError(e);
  }
  return ok({});
}

async function kvList(kv, url) {
  const limit = url.searchParams.has("limit") ? Number(url.searchParams.get("limit")) : 1000;
  if (!Number.isInteger(limit) || limit < 10 || limit > 1000) {
    throw new APIError(400, 10023, "Invalid key_limit: must be between 10 and 1000");
  }
  const opts = { limit };
  if (url.searchParams.get("prefix")) opts.prefix = url.searchParams.get("prefix");
  if (url.searchParams.get("cursor")) opts.cursor = url.searchParams.get("cursor");
  let page;
  try {
    page = await kv.list(opts);
  } catch (e) {
    throw new APIError(400, 10023, e.message);
  }
  const keys = page.keys.map((k) => {
    const o = { name: k.name };
    if (k.expiration) o.expiration = k.expiration;
    if (k.metadata !== undefined) o.metadata = k.metadata;
    return o;
  });
  const cursor = page.list_complete ? "" : page.cursor;
  return ok(keys, { result_info: { count: keys.length, cursor } });
}

function bulkResult(n, unsuccessful) {
  return ok({ successful_key_count: n - unsuccessful.length, unsuccessful_keys: unsuccessful });
}

async function kvBulkPut(kv, body) {
  if (!Array.isArray(body)) throw new APIError(400, 10026, "bulk write body must be an array");
  if (body.length > 10000) throw new APIError(400, 10028, "bulk write: more than 10000 pairs");
  for (const p of body) {
    if (!p || typeof p.key !== "string" || typeof p.value !== "string") {
      throw new APIError(400, 10026, "each pair needs a string key and value");
    }
  }
  const unsuccessful = [];
  await Promise.all(body.map(async (p) => {
    const value = p.base64 ? Uint8Array.from(atob(p.value), (c) => c.charCodeAt(0)) : p.value;
    const opts = putOptions(p.expiration, p.expiration_ttl);
    if (p.metadata !== undefined && p.metadata !== null) opts.metadata = p.metadata;
    try {
      await kv.put(p.key, value, opts);
    } catch (e) {
      unsuccessful.push(p.key);
    }
  }));
  return bulkResult(body.length, unsuccessful);
}

async function kvBulkDelete(kv, body) {
  if (!Array.isArray(body) || body.some((k) => typeof k !== "string")) {
    throw new APIError(400, 10026, "bulk delete body must be an array of keys");
  }
  if (body.length > 10000) throw new APIError(400, 10028, "bulk delete: more than 10000 keys");
  await Promise.all(body.map((k) => kv.delete(k)));
  return bulkResult(body.length, []);
}

async function kvBulkGet(kv, body) {
  const keys = body && body.keys;
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== "string")) {
    throw new APIError(400, 10026, "bulk get body needs keys");
  }
  if (keys.length > 100) throw new APIError(400, 10028, "bulk get: more than 100 keys");
  const type = body.type === "json" ? "json" : "text";
  const values = {};
  await Promise.all(keys.map(async (k) => {
    const got = await kv.getWithMetadata(k, { type });
    if (got.value === null) {
      values[k] = null;
    } else if (body.withMetadata) {
      const v = { value: got.value, metadata: got.metadata };
      const listed = await kv.list({ prefix: k, limit: 1 });
      if (listed.keys.length && listed.keys[0].name === k && listed.keys[0].expiration) {
        v.expiration = listed.keys[0].expiration;
      }
      values[k] = v;
    } else {
      values[k] = got.value;
    }
  }));
  return ok({ values });
}

// ---------- JS writer (tests only; see jswriter.mjs) ----------

async function jsWriterRoute(req, env) {
  const body = await readJSON(req);
  await ensureCatalogue(env);
  try {
    const result = await jsWriter(body, async (acct, db, ns) => ({
      db: d1Binding(env, (await findDatabase(env, acct, db)).slot),
      kv: kvBinding(env, (await findNamespace(env, acct, ns)).slot),
    }));
    return Response.json({ ok: true, result });
  } catch (e) {
    return Response.json({ ok: false, error: e && e.message ? e.message : String(e) });
  }
}

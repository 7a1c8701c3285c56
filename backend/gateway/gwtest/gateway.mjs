#!/usr/bin/env node
// gateway.mjs runs dmplan's gateway Worker (backend/gateway/worker/gateway.js)
// under miniflare: real workerd, real D1 and KV bindings, the script as it
// is uploaded. Several independent gateways ("tenants") run in one workerd,
// each with its own D1 database, its own KV namespaces and its own secrets,
// so tests can have a fresh database without a new process.
//
//   node gateway.mjs [--tenants 4] [--kv 8] [--script path/to/gateway.js]
//
// The first stdout line is "READY " + JSON:
//   {"url": "http://127.0.0.1:PORT", "tenants": [{"path": "/t/0", "secret", "previous",
//     "config": {...DMPLAN_CONFIG...}}]}
// Tenant i is served under /t/i/ (so /t/0/v1/ops). Its namespaces are
// bound as KV_0 … KV_{n-1} with random ids and titles "slot-0" …; its
// DMPLAN_SECRET and DMPLAN_SECRET_PREVIOUS are random.
//
// Control paths (not the gateway's):
//   GET  /__gw/log          -> {"requests": [{"tenant","method","path","status","dropped"?}]}
//   POST /__gw/reset        -> clears the log and pending faults
//   POST /__gw/wipe/:i      -> drops every table of tenant i's D1, deletes all its keys
//   POST /__gw/fault        {"tenant":i,"status":500|502|503|429,"count":N,"after":bool} or {"tenant":i,"drop":N,"after":bool}
// A fault applies to the next N requests of the tenant; with "after" the
// request runs in the Worker first and only its answer is replaced or the
// connection dropped (what a timeout after a write looks like).
// The process exits on SIGTERM/SIGINT, and by itself when its parent dies.

import http from "node:http";
import path from "node:path";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { flag, readBody, sendJSON, relay, serve } from "../../cloudflare/harness/process.mjs";

const dir = path.dirname(fileURLToPath(import.meta.url));
// miniflare is installed once, for the REST harness beside the Cloudflare backend.
const harnessDir = path.resolve(dir, "..", "..", "cloudflare", "harness");
const require = createRequire(path.join(harnessDir, "package.json"));
const { Miniflare } = await import(require.resolve("miniflare"));

const tenants = Number(flag("tenants", "4"));
const kvPerTenant = Number(flag("kv", "16"));
const scriptPath = path.resolve(flag("script", path.resolve(dir, "..", "worker", "gateway.js")));
const compatibilityDate = flag("compatibility-date", "2025-04-01");

const hex = (n) => crypto.randomBytes(n).toString("hex");
const info = [];
const workers = [];
for (let t = 0; t < tenants; t++) {
  const namespaces = [];
  const kvNamespaces = {};
  for (let j = 0; j < kvPerTenant; j++) {
    const id = hex(16);
    namespaces.push({ binding: `KV_${j}`, id, title: `slot-${j}` });
    kvNamespaces[`KV_${j}`] = id;
  }
  const dbID = crypto.randomUUID();
  const config = {
    version: "", project: "gwtest", environment: `tenant-${t}`,
    database: { id: dbID, name: `gwtest-${t}` }, namespaces,
  };
  const secret = hex(24);
  const previous = hex(24);
  info.push({ path: `/t/${t}`, secret, previous, config });
  workers.push({
    name: `gw${t}`,
    modules: true,
    scriptPath,
    modulesRoot: path.dirname(scriptPath),
    compatibilityDate,
    bindings: { DMPLAN_CONFIG: JSON.stringify(config), DMPLAN_SECRET: secret, DMPLAN_SECRET_PREVIOUS: previous },
    d1Databases: { DMPLAN_D1: dbID },
    kvNamespaces,
  });
}

// The wiper Worker empties namespaces for /__gw/wipe: it binds every
// tenant's namespaces (a namespace id bound in two Workers is the same
// storage) as T<tenant>_KV_<j>, and deletes the keys of the ones named in
// the request, 100 at a time.
const wiperKV = {};
for (let t = 0; t < tenants; t++) {
  for (const ns of info[t].config.namespaces) wiperKV[`T${t}_${ns.binding}`] = ns.id;
}
workers.push({
  name: "gwwipe",
  modules: true,
  compatibilityDate,
  kvNamespaces: wiperKV,
  script: `export default {
  async fetch(request, env) {
    const { bindings } = await request.json();
    let deleted = 0;
    for (const b of bindings) {
      const kv = env[b];
      if (!kv) return new Response("no binding " + b, { status: 400 });
      for (;;) {
        const page = await kv.list({ limit: 1000 });
        if (page.keys.length === 0) break;
        for (let i = 0; i < page.keys.length; i += 100) {
          await Promise.all(page.keys.slice(i, i + 100).map((k) => kv.delete(k.name)));
        }
        deleted += page.keys.length;
      }
    }
    return Response.json({ deleted });
  },
};`,
});

const mf = new Miniflare({ workers, host: "127.0.0.1", port: 0 });
await mf.ready;
const fetchers = [];
for (let t = 0; t < tenants; t++) fetchers.push(await mf.getWorker(`gw${t}`));
const wiper = await mf.getWorker("gwwipe");

const log = [];
const faults = new Map(); // tenant -> {status, count, after} | {drop, after}

async function wipe(t) {
  const db = await mf.getD1Database("DMPLAN_D1", `gw${t}`);
  const objs = (await db.prepare(
    "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND type IN ('table','view','trigger')").all()).results;
  if (objs.length > 0) {
    const order = { trigger: 0, view: 1, table: 2 };
    objs.sort((a, b) => order[a.type] - order[b.type]);
    const stmts = [db.prepare("PRAGMA defer_foreign_keys = on")];
    for (const o of objs) stmts.push(db.prepare(`DROP ${o.type.toUpperCase()} IF EXISTS "${o.name.replace(/"/g, '""')}"`));
    await db.batch(stmts);
  }
  // The keys are deleted inside workerd by the wiper Worker, in one request.
  // Deleting them from here, through miniflare's binding proxy, is one HTTP
  // request from node to workerd per key: with a page of 1,000 keys deleted
  // at once that was 1,000 connections, which workerd under load answered
  // with resets ("fetch failed"), and even one at a time it took seconds per
  // thousand keys.
  const res = await wiper.fetch("http://wiper.test/", {
    method: "POST",
    body: JSON.stringify({ bindings: info[t].config.namespaces.map((ns) => `T${t}_${ns.binding}`) }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`wipe KV of tenant ${t}: HTTP ${res.status}: ${text}`);
}

async function control(req, res, url) {
  if (req.method === "GET" && url.pathname === "/__gw/log") return sendJSON(res, 200, { requests: log });
  if (req.method === "POST" && url.pathname === "/__gw/reset") {
    log.length = 0;
    faults.clear();
    return sendJSON(res, 200, { ok: true });
  }
  const m = url.pathname.match(/^\/__gw\/wipe\/(\d+)$/);
  if (req.method === "POST" && m && Number(m[1]) < tenants) {
    await wipe(Number(m[1]));
    return sendJSON(res, 200, { ok: true });
  }
  if (req.method === "POST" && url.pathname === "/__gw/fault") {
    let f;
    try {
      f = JSON.parse((await readBody(req)).toString("utf8"));
    } catch (e) {
      return sendJSON(res, 400, { error: "fault body is not JSON" });
    }
    if (!Number.isInteger(f.tenant) || f.tenant < 0 || f.tenant >= tenants) return sendJSON(res, 400, { error: "fault needs a tenant" });
    if (Number.isInteger(f.drop) && f.drop > 0) faults.set(f.tenant, { drop: f.drop, after: !!f.after });
    else if ([429, 500, 502, 503].includes(f.status) && Number.isInteger(f.count) && f.count > 0) {
      faults.set(f.tenant, { status: f.status, count: f.count, after: !!f.after });
    } else return sendJSON(res, 400, { error: "want {tenant, status: 429|500|502|503, count: N>0, after?} or {tenant, drop: N>0, after?}" });
    return sendJSON(res, 200, { ok: true });
  }
  return sendJSON(res, 404, { error: "unknown control path" });
}

function takeFault(t) {
  const f = faults.get(t);
  if (!f) return null;
  const left = (f.drop ?? f.count) - 1;
  if (f.drop !== undefined) f.drop = left;
  else f.count = left;
  if (left <= 0) faults.delete(t);
  return f;
}

function applyFault(f, req, res, entry) {
  if (f.drop !== undefined) {
    entry.status = 0;
    entry.dropped = true;
    req.socket.destroy();
    return;
  }
  entry.status = f.status;
  res.writeHead(f.status, { "content-type": "text/plain" });
  res.end(`gwtest fault: injected HTTP ${f.status}`);
}

// describe is an error's message with its causes ("fetch failed: read
// ECONNRESET"), which undici keeps in cause.
function describe(e) {
  const parts = [];
  for (let c = e, depth = 0; c !== undefined && c !== null && depth < 5; c = c.cause, depth++) {
    parts.push(c && c.message ? c.message : String(c));
  }
  return parts.join(": ");
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  try {
    if (url.pathname.startsWith("/__gw/")) return await control(req, res, url);
    const m = url.pathname.match(/^\/t\/(\d+)(\/.*)$/);
    if (!m || Number(m[1]) >= tenants) return sendJSON(res, 404, { error: "no such tenant path; use /t/N/..." });
    const t = Number(m[1]);
    const entry = { tenant: t, method: req.method, path: m[2], status: 0 };
    log.push(entry);
    const body = await readBody(req);
    const f = takeFault(t);
    if (f && !f.after) return applyFault(f, req, res, entry);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (k === "host" || k === "connection" || k === "content-length") continue;
      headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    }
    const upstream = await fetchers[t].fetch(`http://gateway.test${m[2]}${url.search}`, {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
    });
    const out = Buffer.from(await upstream.arrayBuffer());
    if (f && f.after) return applyFault(f, req, res, entry);
    entry.status = upstream.status;
    relay(res, upstream, out);
  } catch (e) {
    if (!res.headersSent) sendJSON(res, 502, { error: `gwtest: ${describe(e)}` });
  }
});
serve(server, mf, (port) => JSON.stringify({ url: `http://127.0.0.1:${port}`, tenants: info }));

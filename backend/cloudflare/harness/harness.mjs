#!/usr/bin/env node
// harness.mjs runs worker.js under miniflare (real workerd D1 and KV) and
// puts a small HTTP front on 127.0.0.1 that adds what tests need around it:
// a request log, a fault switch and a dropped-connection mode.
//
//   node harness.mjs --token T [--d1-slots 32] [--kv-slots 96]
//
// The first line on stdout is "READY http://127.0.0.1:PORT". Control paths:
//   GET  /__harness/log    -> {"requests":[{"method","path","query","status"}]}
//   POST /__harness/reset  -> clears the log and any pending fault
//   POST /__harness/fault  {"status":429|500|502|503,"count":N,"retry_after":S,"after":bool,"account":A,"skip":K}
//                          or {"drop":N,"after":bool,"account":A,"skip":K}
//   POST /__harness/limit  {"account":A,"limit":N,"window_ms":W,"block_ms":B} (limiter.mjs; limit 0 removes)
//   GET  /__harness/limit?account=A -> the limiter's counters
//   POST /__harness/unreachable {"account":A,"database":ID,"status":503|0}
//                          -> every request to that database's paths fails with
//                          the status until set again with 0 (reset keeps it)
// A fault applies to the next N API requests (of account A when given),
// after letting K of them through. With "after": true the request
// first runs in the Worker (its effect is kept) and then the response is
// replaced or the connection dropped, which is what a timeout looks like.
// The process exits on SIGTERM/SIGINT, and by itself when its parent dies.

import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { setLimit, limitStatus, checkLimit } from "./limiter.mjs";
import { ScriptServer, changesScripts } from "./serve.mjs";
import { flag, readBody, sendJSON, relay, serve } from "./process.mjs";

const token = flag("token", process.env.HARNESS_TOKEN || "");
if (!token) {
  console.error("harness: --token is required");
  process.exit(2);
}
const d1Slots = Number(flag("d1-slots", "32"));
const kvSlots = Number(flag("kv-slots", "96"));
const dir = path.dirname(fileURLToPath(import.meta.url));

const d1Databases = { META: "harness-meta" };
for (let i = 0; i < d1Slots; i++) d1Databases[`D1_${i}`] = `harness-d1-${i}`;
const kvNamespaces = {};
for (let i = 0; i < kvSlots; i++) kvNamespaces[`KV_${i}`] = `harness-kv-${i}`;

const apiWorker = {
  name: "api",
  modules: true,
  // worker.js imports its sibling .js and .mjs files as ES modules (a rule
  // given here replaces miniflare's defaults, so both are listed).
  modulesRules: [{ type: "ESModule", include: ["**/*.js", "**/*.mjs"] }],
  scriptPath: path.join(dir, "worker.js"),
  compatibilityDate: "2025-04-01",
  bindings: { TOKEN: token, D1_SLOTS: String(d1Slots), KV_SLOTS: String(kvSlots) },
  d1Databases,
  kvNamespaces,
};
const baseOptions = { host: "127.0.0.1", port: 0 };
const mf = new Miniflare({ ...baseOptions, workers: [apiWorker] });
await mf.ready;
const scripts = new ScriptServer(mf, baseOptions, apiWorker, token);
let rootURL = "";

const log = [];
// Armed faults by account id ("" for any account):
// {status, count, retryAfter, after, skip} or {drop, after, skip}.
const faults = new Map();
// Unreachable databases: "account/database-id" -> HTTP status.
const unreachable = new Map();

// unreachableStatus returns the status a request to an unreachable
// database's paths gets, or 0.
function unreachableStatus(pathname) {
  const m = pathname.match(/^\/client\/v4\/accounts\/([^/]+)\/d1\/database\/([^/]+)/);
  return m ? unreachable.get(`${m[1]}/${m[2]}`) || 0 : 0;
}

// takeFault returns the fault that applies to this request, if any: the
// fault armed for its account, else the one armed for every account.
function takeFault(pathname) {
  const m = pathname.match(/^\/client\/v4\/accounts\/([^/]+)/);
  const key = m && faults.has(m[1]) ? m[1] : "";
  const f = faults.get(key);
  if (!f) return null;
  if (f.skip > 0) {
    f.skip--;
    return null;
  }
  const left = (f.drop ?? f.count) - 1;
  if (f.drop !== undefined) f.drop = left;
  else f.count = left;
  if (left <= 0) faults.delete(key);
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
  const headers = {};
  if (f.retryAfter !== undefined) headers["retry-after"] = String(f.retryAfter);
  sendJSON(res, f.status, {
    success: false,
    errors: [{ code: f.status === 429 ? 10429 : 10500, message: `harness fault: injected HTTP ${f.status}` }],
    messages: [],
    result: null,
  }, headers);
}

async function control(req, res, url) {
  if (req.method === "GET" && url.pathname === "/__harness/log") return sendJSON(res, 200, { requests: log });
  if (req.method === "POST" && url.pathname === "/__harness/reset") {
    log.length = 0;
    faults.clear();
    return sendJSON(res, 200, { ok: true });
  }
  if (req.method === "POST" && url.pathname === "/__harness/fault") {
    let f;
    try {
      f = JSON.parse((await readBody(req)).toString("utf8"));
    } catch (e) {
      return sendJSON(res, 400, { error: "fault body is not JSON" });
    }
    let fault;
    if (Number.isInteger(f.drop) && f.drop > 0) {
      fault = { drop: f.drop, after: !!f.after, skip: f.skip || 0 };
    } else if ([429, 500, 502, 503].includes(f.status) && Number.isInteger(f.count) && f.count > 0) {
      fault = { status: f.status, count: f.count, after: !!f.after, skip: f.skip || 0 };
      if (f.retry_after !== undefined) fault.retryAfter = f.retry_after;
    } else {
      return sendJSON(res, 400, { error: "want {status: 429|500|502|503, count: N>0, retry_after?, after?, account?, skip?} or {drop: N>0, after?, account?, skip?}" });
    }
    faults.set(f.account || "", fault);
    return sendJSON(res, 200, { ok: true });
  }
  if (req.method === "POST" && url.pathname === "/__harness/limit") {
    let body;
    try {
      body = JSON.parse((await readBody(req)).toString("utf8"));
    } catch (e) {
      return sendJSON(res, 400, { error: "limit body is not JSON" });
    }
    const err = setLimit(body);
    return err ? sendJSON(res, 400, { error: err }) : sendJSON(res, 200, { ok: true });
  }
  if (req.method === "POST" && url.pathname === "/__harness/unreachable") {
    let body;
    try {
      body = JSON.parse((await readBody(req)).toString("utf8"));
    } catch (e) {
      return sendJSON(res, 400, { error: "unreachable body is not JSON" });
    }
    if (typeof body.account !== "string" || typeof body.database !== "string" || ![0, 500, 502, 503].includes(body.status)) {
      return sendJSON(res, 400, { error: "want {account, database, status: 500|502|503, or 0 to clear}" });
    }
    const key = `${body.account}/${body.database}`;
    if (body.status === 0) unreachable.delete(key);
    else unreachable.set(key, body.status);
    return sendJSON(res, 200, { ok: true });
  }
  if (req.method === "GET" && url.pathname === "/__harness/workers") {
    return sendJSON(res, 200, {
      scripts: scripts.scripts.map((s) => ({ ...s, url: `${rootURL}/__workers/${encodeURIComponent(s.acct)}/${encodeURIComponent(s.name)}` })),
      requests: scripts.log,
    });
  }
  if (req.method === "GET" && url.pathname === "/__harness/limit") {
    return sendJSON(res, 200, { limit: limitStatus(url.searchParams.get("account") || "") });
  }
  return sendJSON(res, 404, { error: "unknown harness control path" });
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  if (url.pathname.startsWith("/__harness/")) return control(req, res, url);
  if (url.pathname.startsWith("/__workers/")) return serveScript(req, res, url);
  const entry = { method: req.method, path: url.pathname, query: url.search.replace(/^\?/, ""), status: 0 };
  log.push(entry);
  try {
    const body = await readBody(req);
    const limited = checkLimit(url.pathname);
    if (limited) {
      entry.status = limited.status;
      entry.limited = true;
      return sendJSON(res, limited.status, limited.body, limited.headers);
    }
    const down = unreachableStatus(url.pathname);
    if (down) return applyFault({ status: down }, req, res, entry);
    const f = takeFault(url.pathname);
    if (f && !f.after) return applyFault(f, req, res, entry);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (k === "host" || k === "connection" || k === "content-length") continue;
      headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    }
    const method = req.method;
    let upstream, out;
    await scripts.enter();
    try {
      upstream = await mf.dispatchFetch(`http://127.0.0.1${req.url}`, {
        method,
        headers,
        body: method === "GET" || method === "HEAD" ? undefined : body,
      });
      out = Buffer.from(await upstream.arrayBuffer());
    } finally {
      scripts.leave();
    }
    if (upstream.ok && changesScripts(method, url.pathname)) await scripts.reload();
    if (f && f.after) return applyFault(f, req, res, entry);
    entry.status = upstream.status;
    relay(res, upstream, out);
  } catch (e) {
    entry.status = 502;
    if (!res.headersSent) sendJSON(res, 502, { success: false, errors: [{ code: 10502, message: `harness: ${e.message}` }], messages: [], result: null });
  }
});
async function serveScript(req, res, url) {
  try {
    const body = await readBody(req);
    const upstream = await scripts.fetch(req, url, body);
    const out = Buffer.from(await upstream.arrayBuffer());
    relay(res, upstream, out);
  } catch (e) {
    if (!res.headersSent) sendJSON(res, 502, { error: `harness: ${e.message}` });
  }
}

serve(server, mf, (port) => {
  rootURL = `http://127.0.0.1:${port}`;
  return rootURL;
});

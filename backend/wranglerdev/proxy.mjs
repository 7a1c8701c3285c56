// proxy.mjs serves dmplan's gateway protocol (backend/gateway) on top of
// the D1 and KV bindings `wrangler dev` uses for a project in local mode.
// dmplan starts it with the project's own Node and node_modules: the
// bindings come from wrangler's public getPlatformProxy(), which reads the
// project's wrangler configuration and persists where `wrangler dev` does,
// so what dmplan writes is what a Worker under `wrangler dev` reads, and
// no on-disk format of miniflare is relied on. The requests are run by the
// gateway Worker's own script (imported as a module), so the protocol is
// the one the Go client already speaks.
//
// Input: one JSON line on stdin:
//   {"project_dir", "config", "environment", "persist" (a directory, or false:
//    in memory), "binding",
//    "namespaces": [{"binding","title"}], "secret", "gateway", "project", "env"}
// Output: a stdout line "DMPLAN-READY " + JSON {"url", "missing"} (missing: the
// namespaces' bindings the configuration lacks) or
// "DMPLAN-FAILED " + JSON {"message"} (other lines, from wrangler, are
// ignored). The process exits when stdin closes (its
// parent is gone or closed it), on SIGTERM and on SIGINT, disposing of
// the bindings first.

import http from "node:http";
import path from "node:path";
import readline from "node:readline";
import { createRequire } from "node:module";
import fs from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const rl = readline.createInterface({ input: process.stdin });
const first = await new Promise((resolve) => {
  rl.once("line", resolve);
  rl.once("close", () => resolve(null));
});
if (first === null) process.exit(0);

let dispose = async () => {};
let server;
let closing = false;
async function shutdown(code) {
  if (closing) return;
  closing = true;
  try {
    if (server) server.close();
    await dispose();
  } catch {
    // exiting anyway
  }
  process.exit(code);
}
rl.on("close", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));
process.on("SIGINT", () => shutdown(0));

function fail(message) {
  process.stdout.write("DMPLAN-FAILED " + JSON.stringify({ message }) + "\n");
  return shutdown(1);
}

try {
  const opts = JSON.parse(first);
  const require = createRequire(path.join(opts.project_dir, "package.json"));
  let entry;
  try {
    entry = require.resolve("wrangler");
  } catch {
    await fail(`wrangler is not installed in ${opts.project_dir} (npm install --save-dev wrangler)`);
  }
  const mod = await import(pathToFileURL(entry).href);
  const wrangler = mod.getPlatformProxy ? mod : mod.default;
  if (!wrangler || typeof wrangler.getPlatformProxy !== "function") {
    await fail("this wrangler has no getPlatformProxy: upgrade wrangler in the project");
  }
  const proxy = await wrangler.getPlatformProxy({
    configPath: opts.config,
    environment: opts.environment || undefined,
    persist: opts.persist === false ? false : { path: opts.persist },
    remoteBindings: false,
  });
  dispose = proxy.dispose;
  const env = proxy.env;
  const db = env[opts.binding];
  if (!db || typeof db.prepare !== "function") {
    await fail(`the wrangler configuration binds no D1 database as ${opts.binding}`);
  }
  const gateway = (await import(pathToFileURL(opts.gateway).href)).default;
  // Both scripts are loaded: their temporary directory (dmplan's, made
  // for this process) goes now, so nothing is left even after a SIGKILL.
  const own = path.dirname(fileURLToPath(import.meta.url));
  if (path.basename(own).startsWith("dmplan-wrangler-")) fs.rmSync(own, { recursive: true, force: true });
  const namespaces = [];
  const missing = [];
  const genv = { DMPLAN_D1: db, DMPLAN_SECRET: opts.secret };
  for (const ns of opts.namespaces) {
    const kv = env[ns.binding];
    if (!kv || typeof kv.list !== "function") {
      missing.push(ns.binding);
      continue;
    }
    // A local namespace is addressed by its binding name.
    namespaces.push({ binding: ns.binding, id: ns.binding, title: ns.title });
    genv[ns.binding] = kv;
  }
  genv.DMPLAN_CONFIG = JSON.stringify({
    version: "", project: opts.project, environment: opts.env,
    database: { id: opts.binding, name: opts.binding }, namespaces,
  });

  server = http.createServer(async (req, res) => {
    try {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const body = Buffer.concat(chunks);
      const headers = new Headers();
      for (const h of ["authorization", "content-type", "content-length"]) {
        if (req.headers[h] !== undefined) headers.set(h, req.headers[h]);
      }
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const request = new Request("http://127.0.0.1" + req.url, { method: req.method, headers, body: hasBody ? body : undefined });
      const response = await gateway.fetch(request, genv);
      const out = Buffer.from(await response.arrayBuffer());
      res.writeHead(response.status, { ...Object.fromEntries(response.headers), "content-length": String(out.length) });
      res.end(out);
    } catch (e) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "internal", message: "wrangler proxy: " + (e && e.message ? e.message : String(e)) } }));
    }
  });
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address();
    process.stdout.write("DMPLAN-READY " + JSON.stringify({ url: `http://127.0.0.1:${port}`, missing }) + "\n");
  });
} catch (e) {
  await fail(e && e.message ? e.message : String(e));
}

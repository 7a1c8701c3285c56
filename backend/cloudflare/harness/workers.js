// workers.js serves the Workers script paths of the Cloudflare REST API that
// dmplan's gateway deploy calls (cloudflare-go v6 workers service), for the
// harness's worker.js:
//
//   accounts/:a/workers/scripts                      GET (list)
//   accounts/:a/workers/scripts/:name                PUT (multipart upload: metadata + modules), DELETE
//   accounts/:a/workers/scripts/:name/settings       GET (bindings; secret texts never returned)
//   accounts/:a/workers/scripts/:name/secrets        GET (names), PUT {name, text, type: "secret_text"}
//   accounts/:a/workers/scripts/:name/secrets/:s     DELETE
//   accounts/:a/workers/scripts/:name/subdomain      GET, POST {enabled}
//   accounts/:a/workers/subdomain                    GET (the account's workers.dev subdomain)
//   zones/:zone/workers/routes                       GET, POST {pattern, script}
//   zones/:zone/workers/routes/:id                   PUT {pattern, script}, DELETE
//
// Uploads are checked as Cloudflare checks them (main_module names a part;
// d1 and kv_namespace bindings name a database or namespace of the
// account; binding names unique) and kept in the META catalogue with their
// bindings. harness.mjs reads them back through the internal path
// GET /__harness_internal/scripts (scriptsForServing) and serves each
// uploaded script in workerd with its bindings mapped onto the same slot
// databases and namespaces the REST paths use.

let ready = false;

async function ensureTables(env) {
  if (ready) return;
  await env.META.batch([
    env.META.prepare(`CREATE TABLE IF NOT EXISTS scripts (acct TEXT NOT NULL, name TEXT NOT NULL, main_module TEXT NOT NULL,
      modules TEXT NOT NULL, metadata TEXT NOT NULL, subdomain INTEGER NOT NULL DEFAULT 0, etag TEXT NOT NULL,
      created_on TEXT NOT NULL, modified_on TEXT NOT NULL, PRIMARY KEY (acct, name))`),
    env.META.prepare(`CREATE TABLE IF NOT EXISTS worker_routes (id TEXT PRIMARY KEY, zone TEXT NOT NULL, pattern TEXT NOT NULL,
      script TEXT NOT NULL, UNIQUE (zone, pattern))`),
  ]);
  ready = true;
}

const scriptNameRE = /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/;
const bindingNameRE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function hexID() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

async function sha256(text) {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((x) => x.toString(16).padStart(2, "0")).join("");
}

// publicBinding is a binding as the settings endpoint returns it: secret
// texts are never sent back.
function publicBinding(b) {
  if (b.type === "secret_text") return { name: b.name, type: b.type };
  return b;
}

async function findScript(env, h, acct, name) {
  const row = await env.META.prepare("SELECT * FROM scripts WHERE acct = ? AND name = ?").bind(acct, name).first();
  if (!row) throw new h.APIError(404, 10007, "This Worker does not exist on your account.");
  return row;
}

function scriptRecord(row) {
  const md = JSON.parse(row.metadata);
  return {
    id: row.name, etag: row.etag, created_on: row.created_on, modified_on: row.modified_on,
    compatibility_date: md.compatibility_date || "", compatibility_flags: md.compatibility_flags || [],
    handlers: ["fetch"], usage_model: "standard", has_modules: true, logpush: false, tail_consumers: [],
  };
}

// workersRoute serves accounts/:acct/workers/<sub>.
export async function workersRoute(req, env, url, acct, sub, h) {
  await ensureTables(env);
  const parts = sub.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "subdomain" && parts.length === 1 && req.method === "GET") {
    return h.ok({ subdomain: "dmplan-harness" });
  }
  if (parts[0] !== "scripts") throw new h.APIError(404, 7003, "Could not route to " + url.pathname);
  if (parts.length === 1 && req.method === "GET") {
    const rows = (await env.META.prepare("SELECT * FROM scripts WHERE acct = ? ORDER BY name").bind(acct).all()).results;
    return h.ok(rows.map(scriptRecord));
  }
  const name = parts[1];
  const action = parts.slice(2).join("/");
  if (action === "" && req.method === "PUT") return upload(req, env, acct, name, h);
  const row = await findScript(env, h, acct, name);
  const md = JSON.parse(row.metadata);
  if (action === "" && req.method === "DELETE") {
    await env.META.batch([
      env.META.prepare("DELETE FROM scripts WHERE acct = ? AND name = ?").bind(acct, name),
      env.META.prepare("DELETE FROM worker_routes WHERE script = ?").bind(name),
    ]);
    return h.ok(null);
  }
  if (action === "settings" && req.method === "GET") {
    return h.ok({
      bindings: (md.bindings || []).map(publicBinding),
      compatibility_date: md.compatibility_date || "", compatibility_flags: md.compatibility_flags || [],
      logpush: false, placement: {}, tags: [], tail_consumers: [], usage_model: "standard",
    });
  }
  if (action === "secrets" && req.method === "GET") {
    return h.ok((md.bindings || []).filter((b) => b.type === "secret_text").map((b) => ({ name: b.name, type: b.type })));
  }
  if (action === "secrets" && req.method === "PUT") {
    const body = await h.readJSON(req);
    if (typeof body.name !== "string" || !bindingNameRE.test(body.name) || typeof body.text !== "string" || (body.type && body.type !== "secret_text")) {
      throw new h.APIError(400, 10021, "want {name, text, type: \"secret_text\"}");
    }
    const clash = (md.bindings || []).find((b) => b.name === body.name && b.type !== "secret_text");
    if (clash) throw new h.APIError(400, 10053, `Binding name '${body.name}' already in use`);
    md.bindings = (md.bindings || []).filter((b) => b.name !== body.name);
    md.bindings.push({ name: body.name, type: "secret_text", text: body.text });
    await saveMetadata(env, acct, name, md);
    return h.ok({ name: body.name, type: "secret_text" });
  }
  if (parts[2] === "secrets" && parts.length === 4 && req.method === "DELETE") {
    const before = (md.bindings || []).length;
    md.bindings = (md.bindings || []).filter((b) => !(b.name === parts[3] && b.type === "secret_text"));
    if (md.bindings.length === before) throw new h.APIError(404, 10056, "Secret not found");
    await saveMetadata(env, acct, name, md);
    return h.ok(null);
  }
  if (action === "subdomain" && req.method === "GET") {
    return h.ok({ enabled: row.subdomain === 1, previews_enabled: false });
  }
  if (action === "subdomain" && req.method === "POST") {
    const body = await h.readJSON(req);
    if (typeof body.enabled !== "boolean") throw new h.APIError(400, 10021, "want {enabled: bool}");
    await env.META.prepare("UPDATE scripts SET subdomain = ? WHERE acct = ? AND name = ?").bind(body.enabled ? 1 : 0, acct, name).run();
    return h.ok({ enabled: body.enabled, previews_enabled: false });
  }
  throw new h.APIError(404, 7003, "Could not route to " + url.pathname);
}

async function saveMetadata(env, acct, name, md) {
  const now = new Date().toISOString();
  await env.META.prepare("UPDATE scripts SET metadata = ?, modified_on = ? WHERE acct = ? AND name = ?")
    .bind(JSON.stringify(md), now, acct, name).run();
}

async function upload(req, env, acct, name, h) {
  if (!scriptNameRE.test(name)) throw new h.APIError(400, 10016, `Invalid Worker name '${name}'`);
  const ct = req.headers.get("content-type") || "";
  if (!ct.startsWith("multipart/form-data")) throw new h.APIError(400, 10021, "the upload must be multipart/form-data");
  let form;
  try {
    form = await req.formData();
  } catch (e) {
    throw new h.APIError(400, 10021, `malformed multipart body: ${e.message}`);
  }
  const mdPart = form.get("metadata");
  if (mdPart === null) throw new h.APIError(400, 10021, "the upload has no metadata part");
  let md;
  try {
    md = JSON.parse(typeof mdPart === "string" ? mdPart : await mdPart.text());
  } catch (e) {
    throw new h.APIError(400, 10021, "metadata is not JSON");
  }
  if (typeof md.main_module !== "string" || md.main_module === "") throw new h.APIError(400, 10021, "metadata.main_module is required");
  const modules = {};
  for (const [key, value] of form.entries()) {
    if (key === "metadata") continue;
    if (typeof value === "string") throw new h.APIError(400, 10021, `part ${key} is not a file`);
    modules[key] = { type: value.type, text: await value.text() };
  }
  const main = modules[md.main_module];
  if (!main) throw new h.APIError(400, 10021, `No such module "${md.main_module}"`);
  if (main.type !== "application/javascript+module") {
    throw new h.APIError(400, 10021, `main module ${md.main_module} must have content type application/javascript+module, not ${main.type}`);
  }
  const seen = new Set();
  const bindings = [];
  for (const b of md.bindings || []) {
    if (!b || typeof b.name !== "string" || !bindingNameRE.test(b.name)) throw new h.APIError(400, 10021, `invalid binding name ${JSON.stringify(b && b.name)}`);
    if (seen.has(b.name)) throw new h.APIError(400, 10053, `Binding name '${b.name}' already in use`);
    seen.add(b.name);
    switch (b.type) {
      case "d1": {
        const db = await env.META.prepare("SELECT uuid FROM databases WHERE acct = ? AND uuid = ?").bind(acct, String(b.id || "")).first();
        if (!db) throw new h.APIError(400, 10021, `binding ${b.name}: D1 database ${b.id} not found`);
        bindings.push({ name: b.name, type: "d1", id: db.uuid });
        break;
      }
      case "kv_namespace": {
        const ns = await env.META.prepare("SELECT id FROM namespaces WHERE acct = ? AND id = ?").bind(acct, String(b.namespace_id || "")).first();
        if (!ns) throw new h.APIError(400, 10041, `binding ${b.name}: KV namespace ${b.namespace_id} not found`);
        bindings.push({ name: b.name, type: "kv_namespace", namespace_id: ns.id });
        break;
      }
      case "plain_text":
      case "secret_text":
        if (typeof b.text !== "string") throw new h.APIError(400, 10021, `binding ${b.name}: text must be a string`);
        bindings.push({ name: b.name, type: b.type, text: b.text });
        break;
      default:
        throw new h.APIError(400, 10021, `binding ${b.name}: type ${JSON.stringify(b.type)} is not served by the harness`);
    }
  }
  const stored = { main_module: md.main_module, compatibility_date: md.compatibility_date || "", compatibility_flags: md.compatibility_flags || [], bindings };
  const now = new Date().toISOString();
  const etag = await sha256(JSON.stringify(modules));
  await env.META.prepare(`INSERT INTO scripts (acct, name, main_module, modules, metadata, etag, created_on, modified_on)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (acct, name) DO UPDATE SET main_module = excluded.main_module, modules = excluded.modules,
        metadata = excluded.metadata, etag = excluded.etag, modified_on = excluded.modified_on`)
    .bind(acct, name, md.main_module, JSON.stringify(modules), JSON.stringify(stored), etag, now, now).run();
  return h.ok(scriptRecord(await findScript(env, h, acct, name)));
}

// zonesRoute serves zones/:zone/workers/routes[/:id]. Zones are free ids,
// as accounts are.
export async function zonesRoute(req, env, url, sub, h) {
  await ensureTables(env);
  const parts = sub.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length < 3 || parts[1] !== "workers" || parts[2] !== "routes") throw new h.APIError(404, 7003, "Could not route to " + url.pathname);
  const zone = parts[0];
  const id = parts[3];
  if (!id && req.method === "GET") {
    const rows = (await env.META.prepare("SELECT id, pattern, script FROM worker_routes WHERE zone = ? ORDER BY pattern").bind(zone).all()).results;
    return h.ok(rows);
  }
  if ((!id && req.method === "POST") || (id && req.method === "PUT")) {
    const body = await h.readJSON(req);
    if (typeof body.pattern !== "string" || body.pattern === "" || body.pattern.includes("://")) {
      throw new h.APIError(400, 10022, "Invalid route pattern");
    }
    const script = typeof body.script === "string" ? body.script : "";
    try {
      if (id) {
        const r = await env.META.prepare("UPDATE worker_routes SET pattern = ?, script = ? WHERE zone = ? AND id = ?").bind(body.pattern, script, zone, id).run();
        if (!r.meta.changes) throw new h.APIError(404, 10020, "Route not found");
        return h.ok({ id, pattern: body.pattern, script });
      }
      const nid = hexID();
      await env.META.prepare("INSERT INTO worker_routes (id, zone, pattern, script) VALUES (?, ?, ?, ?)").bind(nid, zone, body.pattern, script).run();
      return h.ok({ id: nid, pattern: body.pattern, script });
    } catch (e) {
      if (e instanceof h.APIError) throw e;
      if (String(e.message).includes("UNIQUE")) throw new h.APIError(409, 10020, "A route with the same pattern already exists");
      throw e;
    }
  }
  if (id && req.method === "DELETE") {
    await env.META.prepare("DELETE FROM worker_routes WHERE zone = ? AND id = ?").bind(zone, id).run();
    return h.ok({ id });
  }
  throw new h.APIError(404, 7003, "Could not route to " + url.pathname);
}

// scriptsForServing lists every uploaded script with its modules and its
// bindings mapped to the harness's slot storage ids, for harness.mjs.
export async function scriptsForServing(env) {
  await ensureTables(env);
  const rows = (await env.META.prepare("SELECT * FROM scripts ORDER BY acct, name").all()).results;
  const out = [];
  for (const row of rows) {
    const md = JSON.parse(row.metadata);
    const bindings = [];
    for (const b of md.bindings) {
      if (b.type === "d1") {
        const db = await env.META.prepare("SELECT slot FROM databases WHERE uuid = ?").bind(b.id).first();
        if (db) bindings.push({ name: b.name, type: "d1", storage: `harness-d1-${db.slot}` });
      } else if (b.type === "kv_namespace") {
        const ns = await env.META.prepare("SELECT slot FROM namespaces WHERE id = ?").bind(b.namespace_id).first();
        if (ns) bindings.push({ name: b.name, type: "kv_namespace", storage: `harness-kv-${ns.slot}` });
      } else {
        bindings.push({ name: b.name, type: b.type, text: b.text });
      }
    }
    out.push({
      acct: row.acct, name: row.name, etag: row.etag, main_module: row.main_module, modules: JSON.parse(row.modules),
      compatibility_date: md.compatibility_date, compatibility_flags: md.compatibility_flags, bindings,
    });
  }
  return out;
}

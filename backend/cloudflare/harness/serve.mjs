// serve.mjs serves the Worker scripts uploaded to the harness (workers.js
// keeps them) in the same workerd as the harness's own Worker, so a script
// dmplan deploys is the script tests then call. Each upload becomes a
// miniflare worker with its module as uploaded and its bindings mapped onto
// the same storage the REST paths use: a d1 binding onto the database's
// slot, a kv_namespace binding onto the namespace's slot, plain_text and
// secret_text as text. It is reached at
//
//   /__workers/<account>/<script>/<path>
//
// Adding or changing a script restarts workerd with the new set of workers
// (miniflare's setOptions; storage is kept). A gate holds new requests and
// waits for those in flight while it does, so parallel tests never see the
// restart.

export class ScriptServer {
  constructor(mf, baseOptions, apiWorker, token) {
    this.mf = mf;
    this.baseOptions = baseOptions; // shared options (host, port)
    this.apiWorker = apiWorker; // the harness's own worker, always first
    this.token = token;
    this.inflight = 0;
    this.gate = null; // a promise while workerd restarts
    this.chain = Promise.resolve();
    this.signature = "[]";
    this.scripts = []; // as served: {acct, name, etag, bindings: [{name, type}]}
    this.log = []; // requests to served scripts
  }

  async enter() {
    while (this.gate) await this.gate;
    this.inflight++;
  }

  leave() {
    this.inflight--;
  }

  // reload re-reads the uploaded scripts and, when they changed, restarts
  // workerd with them. The caller must not hold the gate (leave first).
  reload() {
    this.chain = this.chain.then(() => this.#reload(), () => this.#reload());
    return this.chain;
  }

  async #reload() {
    await this.enter();
    let list;
    try {
      const res = await this.mf.dispatchFetch("http://127.0.0.1/__harness_internal/scripts", {
        headers: { authorization: `Bearer ${this.token}` },
      });
      list = await res.json();
    } finally {
      this.leave();
    }
    const signature = JSON.stringify(list.map((s) => [s.acct, s.name, s.etag, s.bindings, s.compatibility_date, s.compatibility_flags]));
    if (signature === this.signature) return;
    let open;
    this.gate = new Promise((resolve) => (open = resolve));
    try {
      while (this.inflight > 0) await new Promise((r) => setTimeout(r, 5));
      const workers = [this.apiWorker];
      for (const s of list) workers.push(workerOptions(s));
      await this.mf.setOptions({ ...this.baseOptions, workers });
      this.signature = signature;
      this.scripts = list.map((s) => ({
        acct: s.acct, name: s.name, etag: s.etag, main_module: s.main_module,
        bindings: s.bindings.map((b) => ({ name: b.name, type: b.type })),
      }));
    } finally {
      this.gate = null;
      open();
    }
  }

  // fetch serves /__workers/<acct>/<script>/<rest>; null when the path is
  // not such a path.
  async fetch(req, url, body) {
    const m = url.pathname.match(/^\/__workers\/([^/]+)\/([^/]+)(\/.*)?$/);
    if (!m) return null;
    const acct = decodeURIComponent(m[1]);
    const name = decodeURIComponent(m[2]);
    const entry = { account: acct, script: name, method: req.method, path: m[3] || "/", status: 0 };
    this.log.push(entry);
    await this.enter();
    try {
      if (!this.scripts.some((s) => s.acct === acct && s.name === name)) {
        entry.status = 404;
        return new Response(JSON.stringify({ error: `no script ${name} deployed in account ${acct}` }), { status: 404 });
      }
      const worker = await this.mf.getWorker(workerName(acct, name));
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (k === "host" || k === "connection" || k === "content-length") continue;
        headers.set(k, Array.isArray(v) ? v.join(", ") : v);
      }
      const res = await worker.fetch(`https://${name}.workers.dev${m[3] || "/"}${url.search}`, {
        method: req.method, headers, body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
      });
      entry.status = res.status;
      return res;
    } finally {
      this.leave();
    }
  }
}

function workerName(acct, name) {
  return `upload:${acct}:${name}`;
}

function workerOptions(s) {
  const w = {
    name: workerName(s.acct, s.name),
    modules: Object.entries(s.modules).map(([path, m]) => ({
      type: m.type === "application/javascript+module" ? "ESModule" : m.type === "text/plain" ? "Text" : "CommonJS",
      path,
      contents: m.text,
    })),
    compatibilityDate: s.compatibility_date || "2025-04-01",
    compatibilityFlags: s.compatibility_flags || [],
    bindings: {},
    d1Databases: {},
    kvNamespaces: {},
  };
  // The main module goes first: miniflare runs the first module.
  w.modules.sort((a, b) => (a.path === s.main_module ? -1 : b.path === s.main_module ? 1 : 0));
  for (const b of s.bindings) {
    if (b.type === "d1") w.d1Databases[b.name] = b.storage;
    else if (b.type === "kv_namespace") w.kvNamespaces[b.name] = b.storage;
    else w.bindings[b.name] = b.text;
  }
  return w;
}

// uploadPath reports whether an API request may have changed the uploaded
// scripts (an upload, a deletion, a secret).
export function changesScripts(method, pathname) {
  if (method === "GET") return false;
  return /^\/client\/v4\/accounts\/[^/]+\/workers\/scripts\/[^/]+(\/secrets(\/[^/]+)?)?$/.test(pathname) ||
    /^\/client\/v4\/accounts\/[^/]+\/d1\/database\/[^/]+$/.test(pathname) ||
    /^\/client\/v4\/accounts\/[^/]+\/storage\/kv\/namespaces\/[^/]+$/.test(pathname);
}

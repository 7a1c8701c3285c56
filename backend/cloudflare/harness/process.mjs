// process.mjs is what the harness (harness.mjs) and the gateway launcher
// (backend/gateway/gwtest/gateway.mjs) share as node processes the Go test
// helpers start: command-line flags, JSON request and answer bodies,
// relaying a Worker's answer, and the lifecycle: listen on a free local
// port, print one "READY <payload>" line the Go side waits for, and exit
// on SIGTERM/SIGINT or by itself when the parent (the test binary) is gone,
// so a killed test run leaves no workerd behind.

// flag returns the value of --name from the command line, or def.
export function flag(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

// readBody reads a request's whole body.
export function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

// sendJSON answers with status and obj as JSON, plus headers.
export function sendJSON(res, status, obj, headers = {}) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body);
}

// relay answers with a Worker's answer upstream, whose body out was read,
// dropping the framing headers node sets itself.
export function relay(res, upstream, out) {
  const outHeaders = {};
  upstream.headers.forEach((v, k) => {
    if (k !== "content-length" && k !== "transfer-encoding" && k !== "content-encoding") outHeaders[k] = v;
  });
  outHeaders["content-length"] = String(out.length);
  res.writeHead(upstream.status, outHeaders);
  res.end(out);
}

// serve listens on a free port of 127.0.0.1, prints "READY " and what
// ready(port) returns, and stops the server and miniflare mf (then exits)
// on SIGTERM, SIGINT or the parent's death.
export function serve(server, mf, ready) {
  server.keepAliveTimeout = 60000;
  server.listen(0, "127.0.0.1", () => {
    process.stdout.write(`READY ${ready(server.address().port)}\n`);
  });

  let stopping = false;
  async function stop() {
    if (stopping) return;
    stopping = true;
    server.close();
    try {
      await mf.dispose();
    } finally {
      process.exit(0);
    }
  }
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);

  // Keep-alive timer: also notices when the parent is gone.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 1000);
}

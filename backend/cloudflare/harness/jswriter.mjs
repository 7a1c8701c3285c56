// jswriter.mjs is a JavaScript writer on the same D1 database and KV
// namespaces as dmplan's Go runtime, for the interoperability tests: a
// small DataModel in the spec's style (set, save with the KV put first and
// then the D1 upsert, get with the auth check, share through _auth, soft
// delete) that follows the rules of README.md's "Workers writing the same
// data", plus the one statement those rules forbid (INSERT OR REPLACE), so
// the tests can show what reconcile says about it.
//
// worker.js serves it at POST /__jswriter (same bearer token as the API):
//
//   {"account": A, "database": D1_ID, "namespace": KV_NAMESPACE_ID,
//    "model": {name, pk, table, key_pattern, fields: [{name, type}],
//              columns: [names], user_tracking, auth, timestamps, soft_delete},
//    "user": "alice" | null (null: a system writer, no auth check),
//    "op": "create" | "update" | "get" | "share" | "unshare" | "delete" | "replace",
//    "id": ID, "data": {field: value}, "with": USER}
//
// It answers {"ok": true, "result": OBJECT|null} or {"ok": false, "error": MSG}.

// DataModel is the spec's class, cut down to what the tests need.
export class DataModel {
  constructor(def, stores, user) {
    this.def = def;
    this.db = stores.db;
    this.kv = stores.kv;
    this.user = user;
    this.data = {};
    this.stored = null; // the KV value read, as text
  }

  key(id) {
    return this.def.key_pattern.replace("{id}", id);
  }

  // canRead is dmplan's rule: the owner, or a user listed in _auth, or
  // anyone on a model with neither user_tracking nor auth.
  static canRead(def, obj, user) {
    if (user === null || (!def.user_tracking && !def.auth)) return true;
    if (def.user_tracking && obj.user_id === user) return true;
    return def.auth && Array.isArray(obj._auth) && obj._auth.includes(user);
  }

  // canWrite: the owner; on an auth-only model, a user in _auth.
  static canWrite(def, obj, user) {
    if (user === null || (!def.user_tracking && !def.auth)) return true;
    if (def.user_tracking) return obj.user_id === user;
    return Array.isArray(obj._auth) && obj._auth.includes(user);
  }

  static async get(def, stores, user, id) {
    const m = new DataModel(def, stores, user);
    const text = await m.kv.get(m.key(id), "text");
    if (text === null) return null;
    const obj = JSON.parse(text);
    if (!DataModel.canRead(def, obj, user)) return null;
    m.data = obj;
    m.stored = text;
    return m;
  }

  set(field, value) {
    if (typeof field === "object") Object.assign(this.data, field);
    else this.data[field] = value;
    return this;
  }

  isNew() {
    return this.stored === null;
  }

  // toD1 is a value's D1 form: booleans 1/0, json and array fields as
  // JSON text, everything else as it is in KV.
  toD1(name, v) {
    if (v === undefined || v === null) return null;
    const f = this.def.fields.find((x) => x.name === name);
    const type = f ? f.type : "string";
    if (type === "boolean") return v ? 1 : 0;
    if (type === "json" || type === "array") return JSON.stringify(v);
    return v;
  }

  prepare() {
    const d = this.def;
    const now = new Date().toISOString();
    if (this.isNew()) {
      if (!this.data[d.pk]) this.data[d.pk] = crypto.randomUUID();
      if (d.user_tracking && this.user !== null && !this.data.user_id) this.data.user_id = this.user;
      if (d.auth && !Array.isArray(this.data._auth)) {
        this.data._auth = d.user_tracking ? [this.data.user_id] : this.user === null ? [] : [this.user];
      }
      if (d.timestamps) this.data.created_at = now;
      if (d.soft_delete && this.data.deleted_at === undefined) this.data.deleted_at = null;
    }
    if (d.timestamps) this.data.updated_at = now;
  }

  row() {
    return this.def.columns.map((c) => this.toD1(c, this.data[c]));
  }

  // save writes KV first, then the D1 row with an upsert on the primary
  // key. When D1 refuses the row (a unique index), KV is put back as it
  // was, so the two stores agree again.
  async save() {
    this.prepare();
    const d = this.def;
    const key = this.key(this.data[d.pk]);
    const cols = d.columns.map(quote);
    const sets = d.columns.filter((c) => c !== d.pk).map((c) => `${quote(c)} = excluded.${quote(c)}`);
    const sql = `INSERT INTO ${quote(d.table)} (${cols.join(", ")}) VALUES (${cols.map((_, i) => "?" + (i + 1)).join(", ")}) ` +
      `ON CONFLICT (${quote(d.pk)}) DO UPDATE SET ${sets.join(", ")}`;
    await this.kv.put(key, JSON.stringify(this.data));
    try {
      await this.db.prepare(sql).bind(...this.row()).run();
    } catch (e) {
      if (/constraint/i.test(String(e && e.message))) {
        if (this.stored === null) await this.kv.delete(key);
        else await this.kv.put(key, this.stored);
      }
      throw e;
    }
    this.stored = JSON.stringify(this.data);
  }

  // replace is what a Worker must not do: INSERT OR REPLACE deletes every
  // row that collides with the new one on any unique index, other
  // records' rows included.
  async replace() {
    this.prepare();
    const d = this.def;
    const cols = d.columns.map(quote);
    await this.kv.put(this.key(this.data[d.pk]), JSON.stringify(this.data));
    await this.db.prepare(`INSERT OR REPLACE INTO ${quote(d.table)} (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`)
      .bind(...this.row()).run();
    this.stored = JSON.stringify(this.data);
  }
}

function quote(name) {
  return `"${String(name).replace(/"/g, '""')}"`;
}

// handle runs one request; stores(acct, database, namespace) returns the
// {db, kv} bindings.
export async function handle(body, stores) {
  const { model: def, user = null, op, id, data = {} } = body;
  const s = await stores(body.account, body.database, body.namespace);
  const load = async (write) => {
    const m = await DataModel.get(def, s, user, id);
    if (m === null) throw new Error(`${def.name} ${id}: not found`);
    if (write && !DataModel.canWrite(def, m.data, user)) throw new Error(`${def.name} ${id}: forbidden`);
    return m;
  };
  switch (op) {
    case "create": {
      const m = new DataModel(def, s, user).set(data);
      await m.save();
      return m.data;
    }
    case "replace": {
      const m = new DataModel(def, s, user).set(data);
      await m.replace();
      return m.data;
    }
    case "get": {
      const m = await DataModel.get(def, s, user, id);
      return m === null ? null : m.data;
    }
    case "update": {
      const m = await load(true);
      m.set(data);
      await m.save();
      return m.data;
    }
    case "share":
    case "unshare": {
      const m = await load(true);
      const list = Array.isArray(m.data._auth) ? m.data._auth.slice() : [];
      if (op === "share" && !list.includes(body.with)) list.push(body.with);
      m.data._auth = op === "share" ? list : list.filter((u) => u !== body.with);
      await m.save();
      return m.data;
    }
    case "delete": {
      const m = await load(true);
      m.data.deleted_at = new Date().toISOString();
      await m.save();
      return m.data;
    }
  }
  throw new Error(`unknown op ${op}`);
}

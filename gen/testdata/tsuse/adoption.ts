// The types generated for D1-only models, blobs and composite keys.
import { type Counter, type CounterRow, type Env, type EventRow, type File, type FileRow, type MembershipRow, counterKey, fileKey } from "./dmplan.gen";

export async function read(env: Env): Promise<unknown> {
	const ev = (await env.APP_DB.prepare('SELECT * FROM "events"').first<EventRow>())!;
	const id: number = ev.id; // INTEGER PRIMARY KEY
	const payload: number[] | null = ev.payload; // BLOB: an array of byte values
	const seen: 0 | 1 = ev.seen;
	const m = (await env.APP_DB.prepare('SELECT * FROM "memberships"').first<MembershipRow>())!;
	const key: [string, string] = [m.org_id, m.user_id];
	const file = (await env.APP_FILES.get<File>(fileKey("f"), "json"))!;
	const data: string = file.data; // base64 in KV
	const row = (await env.APP_DB.prepare('SELECT * FROM "files"').first<FileRow>())!;
	const thumb: number[] | null = row.thumb;
	// @ts-expect-error: a D1-only model has no KV binding
	const noKV = env.APP_EVENTS;
	return { id, payload, seen, key, data, thumb, noKV };
}

export async function counters(env: Env): Promise<number> {
	const c = (await env.APP_COUNTERS.get<Counter>(counterKey(42), "json"))!;
	const id: number = c.id; // an integer key
	const row = (await env.APP_DB.prepare('SELECT * FROM "counter"').first<CounterRow>())!;
	return id + row.n;
}

// The types generated for gen/testdata/full: every field type and option.
import { type Env, type Item, type ItemRow, type Note, type Tag, itemKey, noteKey, tagKey } from "./dmplan.gen";

export async function read(env: Env): Promise<unknown> {
	const item = (await env.SHOP_ITEMS.get<Item>(itemKey("i"), "json"))!;
	const kind: "in-stock" | "backorder" | "gone" = item.kind;
	const count: number = item.count;
	const active: boolean = item.active;
	const released: string = item.released;
	const recalled: string | null | undefined = item.recalled;
	const note = (await env.SHOP_MISC.get<Note>(noteKey("n"), "json"))!;
	const text: string = note.text;
	const tag = (await env.SHOP_MISC.get<Tag>(tagKey("t"), "json"))!;
	const label: string = tag.label;
	const row = (await env.SHOP_DB.prepare('SELECT * FROM "items"').first<ItemRow>())!;
	const attrs: string = row.attrs; // JSON text in D1
	const flag: 0 | 1 = row.active;
	// @ts-expect-error: NOTE has no timestamps option
	const noCreated = note.created_at;
	// @ts-expect-error: TAG has no user_tracking
	const noOwner = tag.user_id;
	// @ts-expect-error: the object's key pattern is note/{id}/v1, a function of one id
	const twoArgs = noteKey("a", "b");
	return { kind, count, active, released, recalled, text, label, attrs, flag, noCreated, noOwner, twoArgs };
}

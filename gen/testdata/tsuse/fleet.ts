// A fleet's key helpers take the tenant database.
import { type Doc, type Env, type SettingRow, docKey } from "./dmplan.gen";

export async function read(env: Env, tenant: string): Promise<string> {
	const doc = (await env.SAAS_DOCS.get<Doc>(docKey(tenant, "d1"), "json"))!;
	const s = await env.SAAS_DB.prepare('SELECT * FROM "setting"').first<SettingRow>();
	// @ts-expect-error: in a fleet the key needs the database
	const noTenant = docKey("d1");
	return doc.title + String(s?.value) + noTenant;
}

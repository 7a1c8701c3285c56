// Names that collide once spelled in TypeScript, and a key pattern that
// needs escaping in a template literal.
import { type Env, type Env2, type Page, type PageRow, type PageRow2, type PageKey, pageKey, pageKeyKey } from "./dmplan.gen";

export function use(env: Env, e: Env2, p: Page, r: PageRow, r2: PageRow2, k: PageKey): string[] {
	const key: "p`${x}\\/1" extends string ? string : never = pageKey("1");
	const t: "in-progress" | "in progress" | "123" | 'a"b' | "x*/y" | null | undefined = p.type;
	return [key, pageKeyKey(k.page_key_id), e.env_id, r.page_row_id, r2.page_id, String(t), typeof env.T_PAGES];
}

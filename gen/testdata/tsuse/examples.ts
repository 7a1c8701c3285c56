// A Worker using the types generated for examples/: it reads what the Go
// runtime wrote (a KV object and D1 rows) through the generated types.
// `// @ts-expect-error` lines must fail to type-check: they prove the types
// are not loose.
import { type Env, type JsonValue, type Page, type PageRow, type Project, type User, type UserRow, pageKey, projectKey } from "./dmplan.gen";

export default {
	async fetch(_req: Request, env: Env): Promise<Response> {
		const raw = await env.NIMBUS_PAGES.get(pageKey("p1"), "text");
		if (raw === null) return new Response("missing", { status: 404 });
		const page = JSON.parse(raw) as Page;
		const id: string = page.page_id;
		const url: string = page.url;
		const status: "pending" | "processing" | "completed" | "failed" | null | undefined = page.status;
		const data: JsonValue | null | undefined = page.extracted_data;
		const owner: string = page.user_id;
		const created: string = page.created_at;
		const deleted: string | null = page.deleted_at;
		const readers: string[] = page._auth;
		const project = await env.NIMBUS_PROJECTS.get<Project>(projectKey("x"), "json");
		const tags: JsonValue[] | null | undefined = project?.tags;
		const count: number | null | undefined = project?.page_count;

		const rows = await env.NIMBUS_DB.prepare('SELECT * FROM "page_meta" WHERE "deleted_at" IS NULL').all<PageRow>();
		const first: PageRow | undefined = rows.results[0];
		const title: string | null | undefined = first?.title;
		const user = await env.NIMBUS_DB.prepare('SELECT * FROM "users" LIMIT 1').first<UserRow>();
		const admin: 0 | 1 | null | undefined = user?.is_admin;
		const u = (await env.NIMBUS_USERS.get<User>("user:1", "json"))!;
		const isAdmin: boolean | null | undefined = u.is_admin;

		// @ts-expect-error: title is text, not a number
		const wrongTitle: number = page.title;
		// @ts-expect-error: "archived" is not a PAGE status
		const wrongStatus: Page["status"] = "archived";
		// @ts-expect-error: content is not a column of page_meta
		const noColumn = first?.content;
		// @ts-expect-error: in D1 a boolean is 0 or 1
		const wrongAdmin: boolean | null | undefined = user?.is_admin;
		// @ts-expect-error: the D1 binding is NIMBUS_DB
		const noBinding = env.DB;
		// @ts-expect-error: a page needs its url
		const missing: Page = { page_id: "p", project_id: "x", user_id: "u", created_at: "", updated_at: "", deleted_at: null, _auth: [] };

		return Response.json({ id, url, status, data, owner, created, deleted, readers, tags, count, title, admin, isAdmin,
			wrongTitle, wrongStatus, noColumn, wrongAdmin, noBinding, missing });
	},
} satisfies ExportedHandler<Env>;

package gen_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// rowScript runs in node: a Worker on a real workerd D1 database
// (miniflare) makes the tables, inserts the rows, and reports what
// `SELECT * ... .all()` gives a Worker for each column: its JavaScript
// kind and value.
const rowScript = `
const [miniflare, input] = process.argv.slice(1);
const { Miniflare } = await import(miniflare);
const mf = new Miniflare({
	modules: true,
	compatibilityDate: "2025-04-01",
	d1Databases: ["DB"],
	script: ` + "`" + `
export default {
	async fetch(req, env) {
		const { setup, tables } = await req.json();
		await env.DB.batch(setup.map((s) => env.DB.prepare(s)));
		const out = {};
		for (const t of tables) {
			const { results } = await env.DB.prepare('SELECT * FROM "' + t + '"').all();
			out[t] = results.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k,
				v === null ? "null" : Array.isArray(v) ? (v.every((x) => typeof x === "number") ? "number[]" : "array")
				: typeof v === "number" && (v === 0 || v === 1) ? "0|1" : typeof v])));
		}
		return Response.json(out);
	},
};` + "`" + `,
});
try {
	const res = await mf.dispatchFetch("http://x/", { method: "POST", body: input });
	process.stdout.write(await res.text());
} finally {
	await mf.dispose();
}
`

// TestRowTypesOnWorkerd checks the generated Row interfaces against what a
// Worker really reads from D1: tables made the way dmplan apply makes them
// (gen/testdata/full) and the way another tool made them (the adoption
// models' tables, written as SQL), rows written as the runtime writes
// them, read with SELECT * on workerd. Every column a Row interface names
// is in the result, and each value's JavaScript kind is one its type
// allows: booleans come back as 0 or 1, json as text, blobs as arrays of
// byte values.
func TestRowTypesOnWorkerd(t *testing.T) {
	mfPath, err := filepath.Abs(filepath.Join(harnessModules, "miniflare", "dist", "src", "index.js"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mfPath); err != nil {
		t.Fatalf("%v: the harness npm packages are not installed; run `make test` or `npm ci --prefix backend/cloudflare/harness`", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed to run miniflare: %v", err)
	}

	full := loadDir("testdata/full")(t)
	var setup []string
	for _, st := range planner.Diff(full, "local", &state.Schema{}).Steps {
		setup = append(setup, st.SQL...)
	}
	if len(setup) == 0 {
		t.Fatal("the plan of testdata/full has no SQL")
	}
	setup = append(setup,
		// What the runtime writes for an ITEM with every field set, and one
		// with only the required fields (json and array as JSON text,
		// booleans 0/1, timestamps canonical).
		`INSERT INTO "items" ("item_id","name","sku","kind","grade","count","stock","price","weight","active","featured","attrs","tags","released","recalled","user_id","created_at","updated_at","deleted_at")
		 VALUES ('i1','Lamp','lamp-1','gone','a',3,0,1.5,0.25,1,0,'{"a":1}','["x",2]','2026-01-02T03:04:05.678Z','2026-01-02T03:04:05.678Z','u1','2026-01-02T03:04:05.678Z','2026-01-02T03:04:05.678Z',NULL)`,
		`INSERT INTO "items" ("item_id","name","kind","count","price","active","attrs","tags","released","user_id","created_at","updated_at")
		 VALUES ('i2','Bare','gone',0,2,0,'{}','[]','2026-01-02T03:04:05.678Z','u1','2026-01-02T03:04:05.678Z','2026-01-02T03:04:05.678Z')`,
		`INSERT INTO "note" ("note_id") VALUES ('n1')`,
		`INSERT INTO "tag" ("tag_id","label","created_at","updated_at","deleted_at") VALUES ('t1','red','2026-01-02T03:04:05.678Z','2026-01-02T03:04:05.678Z',NULL)`,
		// The adoption models' tables as another tool declared them.
		`CREATE TABLE "events" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "kind" VARCHAR(16) NOT NULL, "payload" BLOB, "score" DECIMAL(10,2),
		 "seen" BOOLEAN NOT NULL DEFAULT 0, "meta" TEXT, "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP)`,
		`INSERT INTO "events" ("kind","payload","score","seen","meta") VALUES ('click',x'00ff10',12.5,1,'{"a":[1]}')`,
		`INSERT INTO "events" ("kind") VALUES ('view')`,
		`CREATE TABLE "memberships" ("org_id" TEXT NOT NULL, "user_id" TEXT NOT NULL, "role" TEXT, PRIMARY KEY ("org_id","user_id")) WITHOUT ROWID`,
		`INSERT INTO "memberships" VALUES ('o1','u1',NULL)`,
		`CREATE TABLE "files" ("file_id" TEXT PRIMARY KEY NOT NULL, "name" TEXT NOT NULL, "thumb" BLOB, "created_at" TEXT, "updated_at" TEXT)`,
		`INSERT INTO "files" VALUES ('f1','a.png',x'89504e47','2026-01-02T03:04:05.678Z','2026-01-02T03:04:05.678Z')`,
		`CREATE TABLE "counter" ("id" INTEGER PRIMARY KEY NOT NULL, "n" INTEGER NOT NULL, "created_at" TEXT, "updated_at" TEXT, "deleted_at" TEXT)`,
		`INSERT INTO "counter" VALUES (42, 7, '2026-01-02T03:04:05.678Z', '2026-01-02T03:04:05.678Z', NULL)`,
	)
	input, _ := json.Marshal(map[string]any{
		"setup":  setup,
		"tables": []string{"items", "note", "tag", "events", "memberships", "files", "counter"},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--input-type=module", "-e", rowScript, "file://"+filepath.ToSlash(mfPath), string(input))
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("miniflare: %v\n%s", err, stderr)
	}
	var got map[string][]map[string]string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}

	rows := map[string]map[string]string{} // Row interface -> column -> TS type
	for _, golden := range []string{"full", "adoption"} {
		b, err := os.ReadFile(filepath.Join("testdata", "golden", golden+".gen.ts"))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range rowInterfaces(string(b)) {
			rows[k] = v
		}
	}
	checked := 0
	for table, iface := range map[string]string{
		"items": "ItemRow", "note": "NoteRow", "tag": "TagRow", "events": "EventRow",
		"memberships": "MembershipRow", "files": "FileRow", "counter": "CounterRow",
	} {
		cols := rows[iface]
		if len(cols) == 0 {
			t.Fatalf("no interface %s in the goldens", iface)
		}
		if len(got[table]) == 0 {
			t.Fatalf("table %s: no rows read", table)
		}
		for i, row := range got[table] {
			if len(row) != len(cols) {
				t.Errorf("%s row %d has columns %v; %s names %v", table, i, keys(row), iface, keys(cols))
			}
			for col, tsType := range cols {
				kind, ok := row[col]
				if !ok {
					t.Errorf("%s.%s: %s names a column SELECT * does not return", table, col, iface)
					continue
				}
				if !allows(tsType, kind) {
					t.Errorf("%s.%s row %d: a Worker reads a %s, but %s says %s", table, col, i, kind, iface, tsType)
				}
				checked++
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d values checked", checked)
	}
}

var (
	ifaceStart = regexp.MustCompile(`^export interface (\w+) \{$`)
	ifaceField = regexp.MustCompile(`^\t(\w+)(\??): (.+);$`)
)

// rowInterfaces parses the Row interfaces of a generated file: their
// fields and TypeScript types.
func rowInterfaces(src string) map[string]map[string]string {
	out := map[string]map[string]string{}
	var cur map[string]string
	for _, line := range strings.Split(src, "\n") {
		if m := ifaceStart.FindStringSubmatch(line); m != nil {
			cur = nil
			if strings.HasSuffix(m[1], "Row") {
				cur = map[string]string{}
				out[m[1]] = cur
			}
			continue
		}
		if line == "}" {
			cur = nil
			continue
		}
		if m := ifaceField.FindStringSubmatch(line); m != nil && cur != nil {
			cur[m[1]] = m[3]
		}
	}
	return out
}

// allows reports whether a value of the JavaScript kind fits the
// TypeScript type (a union of the generated types).
func allows(tsType, kind string) bool {
	for _, alt := range strings.Split(tsType, " | ") {
		switch {
		case alt == kind:
			return true
		case kind == "0|1" && (alt == "0" || alt == "number"):
			return true
		case kind == "string" && strings.HasPrefix(alt, `"`):
			return true // an enum value
		}
	}
	return false
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

package operator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

// SeedsTable is the internal D1 table where apply remembers, per seed, the
// record it identified the last time its env vars were set: so a plan
// made without them (a pull request's job) can still tell whether a seed
// whose identity reads one (match = ["email"], email = env.ADMIN_EMAIL)
// has its record. It holds record ids, which are the records' primary
// keys in D1 anyway, and never a value.
const SeedsTable = "_dmplan_seeds"

var seedsDDL = "CREATE TABLE IF NOT EXISTS " + backend.QuoteIdent(SeedsTable) + ` (
  seed TEXT PRIMARY KEY NOT NULL,
  definition TEXT NOT NULL,
  record_id TEXT NOT NULL,
  updated_at TEXT NOT NULL
)`

var seedsRead = "SELECT seed, definition, record_id FROM " + backend.QuoteIdent(SeedsTable)

var seedsSave = "INSERT INTO " + backend.QuoteIdent(SeedsTable) + ` (seed, definition, record_id, updated_at)
  VALUES (?, ?, ?, ?) ON CONFLICT (seed) DO UPDATE SET definition = excluded.definition,
  record_id = excluded.record_id, updated_at = excluded.updated_at`

// SeedMemo is what the target remembers of one seed (see SeedsTable).
type SeedMemo struct {
	// Definition is a hash of how the seed identifies its record (model,
	// name, condition, match fields and the source text of their
	// expressions): a memo made for another definition is not used.
	Definition string `json:"definition"`
	RecordID   string `json:"record_id"`
}

// seedMemos reads the rows of seedsRead, keyed by seed.
func seedMemos(res *backend.Result) map[string]SeedMemo {
	if res == nil {
		return nil
	}
	out := make(map[string]SeedMemo, len(res.Rows))
	for _, row := range res.Rows {
		if len(row) != 3 {
			continue
		}
		key, _ := row[0].(string)
		def, _ := row[1].(string)
		id, _ := row[2].(string)
		if key != "" && def != "" && id != "" {
			out[key] = SeedMemo{Definition: def, RecordID: id}
		}
	}
	return out
}

// definition hashes what decides the seed's identity: its model, name,
// condition and match fields, and the source text of the expressions of
// its primary key or match fields (env.X references, not their values).
func (p *preparedSeed) definition(sources map[string][]byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q %q %q %q\n", p.seed.Model, p.seed.Name, p.seed.Condition, strings.Join(p.match, ","))
	ident := p.match
	if _, ok := p.data[p.m.PrimaryKey()]; ok {
		ident = []string{p.m.PrimaryKey()}
	}
	src := sources[p.seed.DeclRange.Filename]
	text := func(r hcl.Range) string {
		if r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte {
			return ""
		}
		return string(src[r.Start.Byte:r.End.Byte])
	}
	pairs, diags := hcl.ExprMap(p.seed.Data)
	if diags.HasErrors() {
		fmt.Fprintf(h, "data %q\n", text(p.seed.Data.Range()))
		return hex.EncodeToString(h.Sum(nil))
	}
	for _, name := range ident {
		for _, kv := range pairs {
			if k := hcl.ExprAsKeyword(kv.Key); k == name || strings.Trim(text(kv.Key.Range()), `"`) == name {
				fmt.Fprintf(h, "%q = %q\n", name, text(kv.Value.Range()))
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Remember records, for every seed whose record exists, the record it
// identifies (SeedsTable), so plans without the seeds' env vars can find
// it. apply calls it once the seeds ran, with all variables set. known is
// what the target held (from Inspect; nil: unknown): only memos that
// differ are written, so an up-to-date target is not written to. It costs
// one D1 request for the lookups, and one more when something changed.
// if_empty seeds are not remembered: their status never needs it.
func (s *Seeds) Remember(ctx context.Context, known map[string]SeedMemo) error {
	var preps []*preparedSeed
	for _, sd := range s.ds.Spec().Seeds {
		if sd.Condition == hclspec.SeedIfEmpty {
			continue
		}
		p, diags := s.prepare(sd)
		if diags.HasErrors() || p == nil {
			continue
		}
		if len(sd.EnvNames()) == 0 {
			continue // a plan can always look it up
		}
		preps = append(preps, p)
	}
	if len(preps) == 0 {
		return nil
	}
	stmts := make([]backend.Stmt, 0, len(preps))
	for _, p := range preps {
		st, err := p.lookup()
		if err != nil {
			return p.scrub(fmt.Errorf("remember seed %s: %w", p.key, err))
		}
		stmts = append(stmts, st)
	}
	res, err := s.ds.D1().Batch(ctx, stmts)
	if err != nil {
		return fmt.Errorf("remember seeds: %w", runtime.NotMigrated(err))
	}
	now := runtime.FormatTime(s.ds.Now())
	writes := []backend.Stmt{{SQL: seedsDDL}}
	for i, p := range preps {
		id := firstString(res[i])
		if id == "" {
			continue
		}
		memo := SeedMemo{Definition: p.definition(s.ds.Spec().Sources), RecordID: id}
		if known != nil && known[p.key] == memo {
			continue
		}
		writes = append(writes, backend.Stmt{SQL: seedsSave, Args: []any{p.key, memo.Definition, memo.RecordID, now}})
	}
	if len(writes) == 1 {
		return nil
	}
	if _, err := s.ds.D1().Batch(ctx, writes); err != nil {
		return fmt.Errorf("remember seeds: %w", err)
	}
	return nil
}

// Unremembered returns the memos the last Status found that known (what
// the target holds) lacks or holds differently: what Remember would write
// for seeds whose records already existed. A no-op apply uses it to write
// them (WriteSeedMemos) only when something changed.
func (s *Seeds) Unremembered(known map[string]SeedMemo) map[string]SeedMemo {
	out := map[string]SeedMemo{}
	for k, m := range s.found {
		if known[k] != m {
			out[k] = m
		}
	}
	return out
}

// WriteSeedMemos writes memos to SeedsTable in one D1 request.
func WriteSeedMemos(ctx context.Context, d1 backend.D1, memos map[string]SeedMemo, now string) error {
	if len(memos) == 0 {
		return nil
	}
	writes := []backend.Stmt{{SQL: seedsDDL}}
	for _, k := range sortedMemoKeys(memos) {
		writes = append(writes, backend.Stmt{SQL: seedsSave, Args: []any{k, memos[k].Definition, memos[k].RecordID, now}})
	}
	if _, err := d1.Batch(ctx, writes); err != nil {
		return fmt.Errorf("remember seeds: %w", err)
	}
	return nil
}

func sortedMemoKeys(m map[string]SeedMemo) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

package planner

import (
	"strings"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
)

// TestDiffFillKV: a table with rows whose model now has a KV side whose
// namespace this plan creates gets a fill_kv step after the namespace; an
// unfinished fill is planned again; nothing else does.
func TestDiffFillKV(t *testing.T) {
	docs := func() *hclspec.Spec {
		m := newModel("DOC", "docs", "doc_id", "DOCS", []*hclspec.Field{fld("title", hclspec.String)}, []string{"title"})
		return &hclspec.Spec{Project: hclspec.Project{Name: "p"}, Models: []*hclspec.Model{m}}
	}
	withBody := func() *hclspec.Spec {
		s := docs()
		s.Models[0].Fields = append(s.Models[0].Fields, fld("body", hclspec.Text))
		return s
	}
	tests := []struct {
		name     string
		spec     func() *hclspec.Spec
		rows     int64 // live rows of docs; 0 is an empty table
		nsLive   bool  // the namespace exists
		pending  []PendingBackfill
		want     []Action
		inReason string
		note     string // a DM225 note's message
	}{
		{name: "kv side added", spec: docs, rows: 1234,
			want:     []Action{CreateNamespace, FillKV},
			inReason: "copy 1,234 rows of docs into KV objects DOC:{id} of namespace p-local-DOCS: model DOC now keeps its records in KV (keys that already hold an object are left alone)"},
		{name: "kv side with a field that is not a column", spec: withBody, rows: 1234,
			want: []Action{CreateNamespace},
			note: "table docs holds rows and model DOC's KV namespace p-local-DOCS is created by this plan, but body is not a column, so the rows are not whole records and are not copied into KV objects (fill_kv). To give a D1-only model its KV side, apply the kv block first without that field (the plan then copies every row), and add it after"},
		{name: "empty table", spec: docs, rows: 0, want: []Action{CreateNamespace}},
		{name: "namespace exists", spec: docs, rows: 10, nsLive: true},
		{name: "unfinished fill resumed", spec: docs, rows: 10, nsLive: true,
			pending:  []PendingBackfill{{Target: FillKVProgressTarget("docs"), Model: "DOC", RunID: "plan-1", Done: 500}},
			want:     []Action{FillKV},
			inReason: "resume copying the rows of docs into KV objects DOC:{id}, which plan plan-1 left unfinished after 500 rows"},
		{name: "unfinished fill of a model now D1-only", rows: 10,
			spec: func() *hclspec.Spec {
				s := docs()
				s.Models[0].Storage, s.Models[0].KV = hclspec.StorageD1, hclspec.KV{}
				return s
			},
			pending: []PendingBackfill{{Target: FillKVProgressTarget("docs"), Model: "DOC", RunID: "plan-1", Done: 500}}},
		{name: "D1-only model", rows: 10,
			spec: func() *hclspec.Spec {
				s := docs()
				s.Models[0].Storage, s.Models[0].KV = hclspec.StorageD1, hclspec.KV{}
				return s
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := tc.spec()
			live := Desired(docs(), "local")
			if !tc.nsLive {
				live.Namespaces = nil
			}
			tb := live.Table("docs")
			tb.HasRows, tb.Rows = tc.rows > 0, tc.rows
			p := Diff(spec, "local", live, WithPendingBackfills(tc.pending), WithFillKV())
			if without := Diff(spec, "local", live, WithPendingBackfills(tc.pending)); without.Counts()[FillKV] != 0 {
				t.Errorf("a plan without WithFillKV has fill_kv steps: %+v", without.Steps)
			}
			var got []Action
			reason := ""
			for _, s := range p.Steps {
				got = append(got, s.Action)
				if s.Action == FillKV {
					reason = s.Reason
					if s.Target != "docs" || s.Model != "DOC" || !s.Safe {
						t.Errorf("fill step %+v", s)
					}
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("steps %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("steps %v, want %v", got, tc.want)
				}
			}
			if tc.inReason != "" && !strings.Contains(reason, tc.inReason) {
				t.Errorf("reason %q\nwant it to hold %q", reason, tc.inReason)
			}
			note := ""
			for _, n := range p.Notes {
				if n.Code == NoteNoFillKV {
					note = n.Message
				}
			}
			if note != tc.note {
				t.Errorf("DM225 note %q\nwant %q", note, tc.note)
			}
			for _, s := range p.Steps {
				if s.Action == FillKV && (s.Rows == nil || s.Rows.Read < tc.rows) {
					t.Errorf("fill step estimate %+v, want at least the %d rows read", s.Rows, tc.rows)
				}
			}
		})
	}
}

// TestFillKVEstimate: a fill reads every row twice and writes only its
// progress records (one a page of FillKVPage rows), so copying a table of
// a million rows is not said to pass the Free plan's 100,000 rows written
// a day.
func TestFillKVEstimate(t *testing.T) {
	docs := newModel("DOC", "docs", "doc_id", "DOCS", []*hclspec.Field{fld("title", hclspec.String)}, []string{"title"})
	spec := &hclspec.Spec{Project: hclspec.Project{Name: "p"}, Models: []*hclspec.Model{docs}}
	tests := []struct {
		rows               int64
		minRead, maxRead   int64
		minWrite, maxWrite int64
	}{
		{rows: 934, minRead: 1868, maxRead: 1900, minWrite: 2, maxWrite: 20},
		{rows: 1234, minRead: 2481, maxRead: 2481, minWrite: 13, maxWrite: 13}, // README's example
		{rows: 100_000, minRead: 200_000, maxRead: 201_000, minWrite: 202, maxWrite: 250},
		{rows: 1_000_000, minRead: 2_000_000, maxRead: 2_010_000, minWrite: 2_002, maxWrite: 2_100},
	}
	for _, tc := range tests {
		live := Desired(spec, "local")
		live.Namespaces = nil
		tb := live.Table("docs")
		tb.HasRows, tb.Rows = true, tc.rows
		p := Diff(spec, "local", live, WithFillKV())
		var est *RowEstimate
		for _, s := range p.Steps {
			if s.Action == FillKV {
				est = s.Rows
			}
		}
		if est == nil {
			t.Fatalf("%d rows: no fill_kv estimate in %+v", tc.rows, p.Steps)
		}
		if est.Read < tc.minRead || est.Read > tc.maxRead || est.Written < tc.minWrite || est.Written > tc.maxWrite {
			t.Errorf("%d rows: estimate read %d written %d, want read %d..%d, written %d..%d",
				tc.rows, est.Read, est.Written, tc.minRead, tc.maxRead, tc.minWrite, tc.maxWrite)
		}
		for _, n := range p.Notes {
			if n.Code == NoteFreeQuota {
				t.Errorf("%d rows: %s", tc.rows, n.Message)
			}
		}
	}
}

// TestD1OnlyModelKeepsOldNamespace: a model that had a KV side and is
// D1-only again leaves its namespace alone, and the plan says its objects
// go stale (and what to do before a KV side comes back) instead of a
// silent "No changes".
func TestD1OnlyModelKeepsOldNamespace(t *testing.T) {
	kvSide := func() *hclspec.Spec {
		m := newModel("DOC", "docs", "doc_id", "DOC", []*hclspec.Field{fld("title", hclspec.String)}, []string{"title"})
		return &hclspec.Spec{Project: hclspec.Project{Name: "p"}, Models: []*hclspec.Model{m}}
	}
	d1Only := func() *hclspec.Spec {
		s := kvSide()
		s.Models[0].Storage, s.Models[0].KV = hclspec.StorageD1, hclspec.KV{}
		return s
	}
	sharing := func() *hclspec.Spec {
		s := d1Only()
		other := newModel("NOTE", "notes", "note_id", "DOC", []*hclspec.Field{fld("title", hclspec.String)}, []string{"title"})
		s.Models = append(s.Models, other)
		return s
	}
	tests := []struct {
		name   string
		spec   func() *hclspec.Spec
		liveNS bool
		note   string
	}{
		{name: "D1-only with its old namespace", spec: d1Only, liveNS: true,
			note: "model DOC is D1-only, but KV namespace p-local-DOC of its earlier KV side still exists: dmplan leaves it alone, and its objects are no longer written, so they go stale. Delete the namespace before giving DOC a KV side again: the plan then creates it and copies every row; kept, no copy is planned and the runtime would read the stale objects"},
		{name: "D1-only, no namespace", spec: d1Only},
		{name: "KV side", spec: kvSide, liveNS: true},
		{name: "namespace used by another model", spec: sharing, liveNS: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			live := Desired(kvSide(), "local")
			if !tc.liveNS {
				live.Namespaces = nil
			}
			p := Diff(tc.spec(), "local", live, WithFillKV())
			note := ""
			for _, n := range p.Notes {
				if n.Code == NoteStaleKVSide {
					note = n.Message
				}
			}
			if note != tc.note {
				t.Errorf("note %q\nwant %q", note, tc.note)
			}
		})
	}
}

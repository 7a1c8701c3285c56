package cloudflare

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWireParams(t *testing.T) {
	got, err := wireParams([]any{nil, "s", int64(1 << 60), 7, 2.5, true, false, []byte{0, 255}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	want := `[null,"s",1152921504606846976,7,2.5,1,0,[0,255]]`
	if string(b) != want {
		t.Errorf("params on the wire = %s, want %s", b, want)
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), struct{}{}, time.Now()} {
		if _, err := wireParams([]any{bad}); err == nil {
			t.Errorf("wireParams(%T %v): no error", bad, bad)
		}
	}
}

func TestDecodeRaw(t *testing.T) {
	body := `{"success":true,"errors":[],"messages":[],"result":[
	  {"success":true,"results":{"columns":["i","big","f","s","n","b","a","a"],
	    "rows":[[1,9007199254740993,2.5,"x",null,[0,1,255],-3,1e3]]},"meta":{"changes":2,"last_row_id":9007199254740993,"rows_read":7,"rows_written":3}},
	  {"success":true,"results":{"columns":[],"rows":[]},"meta":{"changes":0,"last_row_id":0}}]}`
	got, err := decodeRaw([]byte(body), 2)
	if err != nil {
		t.Fatal(err)
	}
	wantRow := []any{int64(1), int64(9007199254740993), 2.5, "x", nil, []byte{0, 1, 255}, int64(-3), 1000.0}
	if diff := cmp.Diff(wantRow, got[0].Rows[0]); diff != "" {
		t.Errorf("row (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"i", "big", "f", "s", "n", "b", "a", "a"}, got[0].Columns); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	if got[0].Changes != 2 || got[0].LastInsertID != 9007199254740993 || got[0].RowsRead != 7 || got[0].RowsWritten != 3 {
		t.Errorf("meta = %+v", *got[0])
	}
	if len(got[1].Columns) != 0 || len(got[1].Rows) != 0 {
		t.Errorf("empty result = %+v", got[1])
	}
	if _, err := decodeRaw([]byte(body), 3); err == nil || !strings.Contains(err.Error(), "2 results for 3 statements") {
		t.Errorf("count mismatch: err = %v", err)
	}
}

func TestSplitBatch(t *testing.T) {
	wire := make([]wireStmt, 10)
	for i := range wire {
		wire[i] = wireStmt{SQL: "INSERT INTO t VALUES (?)", Params: []any{strings.Repeat("x", 100)}}
	}
	one, _ := json.Marshal(wire[0])
	tests := []struct {
		name     string
		maxBytes int
		want     []int // statements per request
	}{
		{"everything fits one request", MaxBatchBytes, []int{10}},
		{"three statements per request", 3*(len(one)+1) + len(`{"batch":[]}`), []int{3, 3, 3, 1}},
		{"a statement bigger than the cap still goes alone", 10, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, err := splitBatch(wire, true, tt.maxBytes)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, p := range parts {
				got = append(got, p.n)
				var body struct {
					Batch []wireStmt `json:"batch"`
				}
				if err := json.Unmarshal(p.data, &body); err != nil || len(body.Batch) != p.n {
					t.Errorf("part is not a batch of %d: %s (%v)", p.n, p.data, err)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("statements per request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		header map[string]string
		want   time.Duration
		ok     bool
	}{
		{map[string]string{"Retry-After": "3"}, 3 * time.Second, true},
		{map[string]string{"Retry-After": "0.5"}, 500 * time.Millisecond, true},
		{map[string]string{"Retry-After-Ms": "1500", "Retry-After": "9"}, 1500 * time.Millisecond, true},
		{map[string]string{"Retry-After": "soon"}, 0, false},
		{map[string]string{}, 0, false},
	}
	for _, tt := range tests {
		resp := &http.Response{Header: http.Header{}}
		for k, v := range tt.header {
			resp.Header.Set(k, v)
		}
		got, ok := retryAfter(resp)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%v) = %s, %v; want %s, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCursor(t *testing.T) {
	for _, api := range []string{"", "abc", "a:b:c"} {
		c := makeCursor(api, 7)
		gotAPI, skip, err := parseCursor(c)
		if err != nil || gotAPI != api || skip != 7 {
			t.Errorf("parseCursor(makeCursor(%q, 7)) = %q, %d, %v", api, gotAPI, skip, err)
		}
	}
	if api, skip, err := parseCursor("opaque-api-cursor"); err != nil || api != "opaque-api-cursor" || skip != 0 {
		t.Errorf("API cursor passed through as %q, %d, %v", api, skip, err)
	}
	if _, _, err := parseCursor(cursorPrefix + "!!"); err == nil {
		t.Error("malformed cursor accepted")
	}
}

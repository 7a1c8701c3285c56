package gen

import "testing"

func TestNames(t *testing.T) {
	for _, tc := range []struct{ in, pascal, camel string }{
		{"PAGE", "Page", "page"},
		{"PUBLIC_DATA", "PublicData", "publicData"},
		{"page_id", "PageID", "pageID"},
		{"url", "URL", "url"},
		{"api_url", "APIURL", "apiURL"},
		{"pageId", "PageID", "pageID"},
		{"_auth", "Auth", "auth"},
		{"_", "X", "x"},
		{"a1_b2", "A1B2", "a1B2"},
		{"ID", "ID", "id"},
		{"html_body_v2", "HTMLBodyV2", "htmlBodyV2"},
	} {
		if got := pascal(tc.in); got != tc.pascal {
			t.Errorf("pascal(%q) = %q, want %q", tc.in, got, tc.pascal)
		}
		if got := camel(tc.in); got != tc.camel {
			t.Errorf("camel(%q) = %q, want %q", tc.in, got, tc.camel)
		}
	}
	if got := uniqueNames([]string{"Auth", "Auth", "Auth2", "X"}, map[string]bool{"X": true}); got[0] != "Auth" || got[1] != "Auth2" || got[2] != "Auth22" || got[3] != "X2" {
		t.Errorf("uniqueNames = %v", got)
	}
	for in, want := range map[string]string{"in-progress": "in_progress", "": "value", "--": "value", "é": "value", "a b": "a_b"} {
		if got := identPart(in); got != want {
			t.Errorf("identPart(%q) = %q, want %q", in, got, want)
		}
	}
}

package main

import (
	"errors"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
)

func TestRedact(t *testing.T) {
	base := errors.New("open account 0123456789abcdef/database secretdb via https://api.example: token tok-XYZ rejected; account 01234567… unknown")
	tests := []struct {
		name      string
		sensitive map[string]bool
		want      string
	}{
		{name: "nothing sensitive", want: base.Error()},
		{name: "account, whole and abbreviated", sensitive: map[string]bool{"account_id": true},
			want: "open account (sensitive)/database secretdb via https://api.example: token tok-XYZ rejected; account (sensitive)… unknown"},
		{name: "token and database", sensitive: map[string]bool{"api_token": true, "database": true},
			want: "open account 0123456789abcdef/database (sensitive) via https://api.example: token (sensitive) rejected; account 01234567… unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := &hclspec.Target{AccountID: "0123456789abcdef", Database: "secretdb", APIToken: "tok-XYZ", Sensitive: tt.sensitive}
			got := redact(base, target)
			if got.Error() != tt.want {
				t.Errorf("redact =\n%s\nwant\n%s", got, tt.want)
			}
			if !errors.Is(got, base) {
				t.Errorf("redacted error does not unwrap to the original")
			}
		})
	}
}

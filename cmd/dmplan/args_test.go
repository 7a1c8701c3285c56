package main

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/internal/view"
)

func TestParsePlan(t *testing.T) {
	tests := map[string]struct {
		args    []string
		want    planArgs
		wantErr string
	}{
		"defaults":     {args: nil, want: planArgs{Dir: ".", Env: "local", Parallel: 8}},
		"dir":          {args: []string{"examples"}, want: planArgs{Dir: "examples", Env: "local", Parallel: 8}},
		"json":         {args: []string{"-json", "x"}, want: planArgs{Dir: "x", Env: "local", Format: view.JSON, Parallel: 8}},
		"format":       {args: []string{"-format", "markdown"}, want: planArgs{Dir: ".", Env: "local", Format: view.Markdown, Parallel: 8}},
		"format=":      {args: []string{"-format=json"}, want: planArgs{Dir: ".", Env: "local", Format: view.JSON, Parallel: 8}},
		"everything":   {args: []string{"-env", "prod", "-out", "p.json", "-detailed-exitcode", "-no-color", "-parallel", "3", "d"}, want: planArgs{Dir: "d", Env: "prod", Out: "p.json", DetailedExitcode: true, NoColor: true, Parallel: 3}},
		"bad format":   {args: []string{"-format", "yaml"}, wantErr: `invalid value "yaml" for flag -format: unknown format "yaml": want human, json or markdown (see dmplan plan -h)`},
		"flag after":   {args: []string{"dir", "-json"}, wantErr: `flag -json comes after the argument "dir": flags go before it (see dmplan plan -h)`},
		"two dirs":     {args: []string{"a", "b"}, wantErr: `unexpected argument "b": dmplan plan takes at most 1 (see dmplan plan -h)`},
		"unknown flag": {args: []string{"-bogus"}, wantErr: "flag provided but not defined: -bogus (see dmplan plan -h)"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := &cli{stdout: &bytes.Buffer{}}
			got, err := parsePlan(tt.args, c)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestScanViewArgs(t *testing.T) {
	tests := []struct {
		args []string
		want viewArgs
	}{
		{nil, viewArgs{}},
		{[]string{"-json", "-bogus"}, viewArgs{Format: view.JSON}},
		{[]string{"--json=true"}, viewArgs{Format: view.JSON}},
		{[]string{"-json=false"}, viewArgs{}},
		{[]string{"-env", "prod", "-lock-timeout", "30s", "-json"}, viewArgs{Format: view.JSON}},
		{[]string{"-format", "markdown", "-no-color"}, viewArgs{Format: view.Markdown, NoColor: true}},
		{[]string{"-format=yaml"}, viewArgs{}},
		{[]string{"dir", "-json"}, viewArgs{Format: view.JSON}}, // rejected by the parse, reported as JSON
		{[]string{"--", "-json"}, viewArgs{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, scanViewArgs(tt.args)); diff != "" {
			t.Errorf("scanViewArgs(%q) (-want +got):\n%s", tt.args, diff)
		}
	}
}

func TestColor(t *testing.T) {
	tests := []struct {
		name    string
		tty     bool
		env     map[string]string
		noColor bool
		want    bool
	}{
		{name: "terminal", tty: true, want: true},
		{name: "not a terminal", tty: false, want: false},
		{name: "NO_COLOR", tty: true, env: map[string]string{"NO_COLOR": "1"}, want: false},
		{name: "-no-color", tty: true, noColor: true, want: false},
		{name: "TERM=dumb", tty: true, env: map[string]string{"TERM": "dumb"}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &cli{stdoutTTY: tt.tty, getenv: func(k string) string { return tt.env[k] }}
			if got := c.color(tt.noColor); got != tt.want {
				t.Errorf("color = %v, want %v", got, tt.want)
			}
		})
	}
}

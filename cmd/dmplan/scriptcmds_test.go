package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/local"
)

// cmdDirState writes the files of a directory with their sizes and
// modification times to a work file, so a script can show that a command
// wrote nothing there (it then waits 20ms, so a later write changes a
// time):
//
//	dirstate app/.dmplan before.txt
func cmdDirState(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: dirstate DIR OUTFILE")
	}
	es, err := os.ReadDir(ts.MkAbs(args[0]))
	if err != nil {
		ts.Fatalf("dirstate: %v", err)
	}
	var lines []string
	for _, e := range es {
		fi, err := e.Info()
		if err != nil {
			ts.Fatalf("dirstate: %v", err)
		}
		lines = append(lines, fmt.Sprintf("%s %d %s\n", e.Name(), fi.Size(), fi.ModTime().UTC().Format(time.RFC3339Nano)))
	}
	sort.Strings(lines)
	if err := os.WriteFile(ts.MkAbs(args[1]), []byte(strings.Join(lines, "")), 0o644); err != nil {
		ts.Fatalf("dirstate: %v", err)
	}
	// A write after this returns would show in the times, whatever the
	// file system's timestamp granularity.
	time.Sleep(20 * time.Millisecond)
}

// cmdD1 runs SQL statements on a local target's D1 database by hand, as
// someone with the sqlite3 shell would:
//
//	d1 app/.dmplan 'DELETE FROM users'
func cmdD1(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: d1 DIR SQL...")
	}
	ctx := context.Background()
	s, err := local.Open(ctx, ts.MkAbs(args[0]))
	if err != nil {
		ts.Fatalf("d1: %v", err)
	}
	defer s.Close()
	for _, q := range args[1:] {
		res, err := s.D1().Query(ctx, backend.Stmt{SQL: q})
		if err != nil {
			if neg {
				return
			}
			ts.Fatalf("d1 %s: %v", q, err)
		}
		for _, row := range res.Rows {
			parts := make([]string, len(row))
			for i, v := range row {
				parts[i] = fmt.Sprint(v)
			}
			fmt.Fprintln(ts.Stdout(), strings.Join(parts, "|"))
		}
	}
	if neg {
		ts.Fatalf("d1: unexpected success")
	}
}

// cmdCFSQL runs SQL statements on the harness's D1 database by hand, as
// someone with wrangler d1 execute would, printing the rows:
//
//	cfsql blog 'DROP TABLE notes'
func cmdCFSQL(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: cfsql DATABASE SQL...")
	}
	ctx := context.Background()
	s, err := cloudflare.Open(ctx, cloudflare.Config{
		AccountID: ts.Getenv("CF_ACCOUNT"), Database: args[0], Environment: "test",
		Getenv: ts.Getenv,
	})
	if err != nil {
		ts.Fatalf("cfsql: %v", err)
	}
	defer s.Close()
	for _, q := range args[1:] {
		res, err := s.D1().Query(ctx, backend.Stmt{SQL: q})
		if err != nil {
			ts.Fatalf("cfsql %s: %v", q, err)
		}
		for _, row := range res.Rows {
			parts := make([]string, len(row))
			for i, v := range row {
				parts[i] = fmt.Sprint(v)
			}
			fmt.Fprintln(ts.Stdout(), strings.Join(parts, "|"))
		}
	}
}

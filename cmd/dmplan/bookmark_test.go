package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
)

type bookmarked struct {
	backend.Backend
	bm  string
	err error
}

func (b bookmarked) Bookmark(context.Context) (string, error) { return b.bm, b.err }

func TestRestorePointAndCommand(t *testing.T) {
	ctx := context.Background()
	s, err := local.OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var stderr bytes.Buffer
	c := newCLI(strings.NewReader(""), &bytes.Buffer{}, &stderr, nil)
	if got := c.restorePoint(ctx, s); got != "" {
		t.Errorf("local backend bookmark = %q", got)
	}
	if got := c.restorePoint(ctx, bookmarked{s, "00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683", nil}); got == "" {
		t.Error("no bookmark from a Time Travel backend")
	}
	if got := c.restorePoint(ctx, bookmarked{s, "", errors.New("time travel unavailable")}); got != "" || !strings.Contains(stderr.String(), "no_time_travel_bookmark") {
		t.Errorf("bookmark error: %q, log %q", got, stderr.String())
	}

	applyErr := errors.New("apply step 2 (create index x): boom")
	tgt := &hclspec.Target{Backend: hclspec.BackendCloudflare, Database: "nimbus"}
	err = withRestore(applyErr, "bm-1", tgt)
	want := "apply step 2 (create index x): boom\nD1 Time Travel bookmark taken before this apply: bm-1\n" +
		"To restore the database to it: wrangler d1 time-travel restore nimbus --bookmark=bm-1"
	if err.Error() != want || !errors.Is(err, applyErr) {
		t.Errorf("withRestore = %q", err)
	}
	if err := withRestore(applyErr, "", tgt); err != applyErr {
		t.Errorf("without a bookmark = %v", err)
	}
}

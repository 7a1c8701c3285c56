package main

import (
	"context"
	"log/slog"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
)

// bookmarker is the Cloudflare store's D1 Time Travel capability.
type bookmarker interface {
	Bookmark(ctx context.Context) (string, error)
}

// restorePoint takes a D1 Time Travel bookmark just before an apply, so a
// failed apply can say how to put the database back. It returns "" for
// backends without Time Travel, and when the bookmark cannot be read (a
// warning is logged; the apply goes on).
func (c *cli) restorePoint(ctx context.Context, be backend.Backend) string {
	b, ok := be.(bookmarker)
	if !ok {
		return ""
	}
	bm, err := b.Bookmark(ctx)
	if err != nil {
		c.logger().LogAttrs(ctx, slog.LevelWarn, "dmplan.apply", slog.String("outcome", "no_time_travel_bookmark"), slog.String("error", err.Error()))
		return ""
	}
	return bm
}

// withRestore adds the exact wrangler command that restores the database
// to the bookmark taken before the apply.
func withRestore(err error, bookmark string, t *hclspec.Target) error {
	if err == nil || bookmark == "" || t == nil {
		return err
	}
	db := t.Database
	if db == "" {
		db = "<database>"
	}
	return &shownError{
		msg: err.Error() + "\nD1 Time Travel bookmark taken before this apply: " + bookmark +
			"\nTo restore the database to it: wrangler d1 time-travel restore " + db + " --bookmark=" + bookmark,
		err: err,
	}
}

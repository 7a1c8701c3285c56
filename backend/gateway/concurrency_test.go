package gateway_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentWritersOverGateway has several clients create and update
// their own records at once through the runtime over the gateway; then
// every record's KV object holds its writer's last successful save and its
// D1 row agrees with it.
func TestConcurrentWritersOverGateway(t *testing.T) {
	_, h := openRuntime(t)
	ctx := context.Background()
	const writers, rounds = 8, 6
	last := make([]map[string]string, writers) // id -> last title saved
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		last[w] = map[string]string{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ids []string
			for i := range rounds {
				title := fmt.Sprintf("w%d-r%d", w, i)
				if i%2 == 0 {
					r := h.New("NOTE")
					r.Set("title", title)
					r.Set("slug", title)
					if err := r.Save(ctx); err != nil {
						errs <- fmt.Errorf("create %s: %w", title, err)
						return
					}
					ids = append(ids, r.ID())
					last[w][r.ID()] = title
					continue
				}
				id := ids[len(ids)-1]
				r, err := h.Get(ctx, "NOTE", id)
				if err != nil {
					errs <- fmt.Errorf("get %s: %w", id, err)
					return
				}
				r.Set("title", title)
				if err := r.Save(ctx); err != nil {
					errs <- fmt.Errorf("update %s: %w", id, err)
					return
				}
				last[w][id] = title
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	res, err := h.Query("NOTE").Limit(100).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, row := range res.Data {
		rows[row["note_id"].(string)] = row["title"].(string)
	}
	n := 0
	for w := range writers {
		for id, title := range last[w] {
			n++
			r, err := h.Get(ctx, "NOTE", id)
			if err != nil {
				t.Errorf("%s: %v", id, err)
				continue
			}
			if got := r.Get("title"); got != title {
				t.Errorf("%s: KV title %v, want the last save's %q", id, got, title)
			}
			if rows[id] != title {
				t.Errorf("%s: D1 title %q, want %q", id, rows[id], title)
			}
		}
	}
	if len(rows) != n {
		t.Errorf("D1 holds %d rows, want %d", len(rows), n)
	}
}

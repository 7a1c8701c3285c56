package consistency

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/runtime"
)

// TestConcurrentWriters runs goroutines that create, update, delete and
// restore records, some shared by every goroutine and some private to one.
//
// What holds, and is checked: every KV object of a shared record holds a
// value one of its successful saves wrote (nothing invented, nothing of a
// failed save); every private record holds exactly its writer's last
// successful save (no successful save is lost); reconcile reports nothing
// but stale rows of shared records — two writers of the same record can
// interleave as KV(A) KV(B) D1(B) D1(A), leaving each store with a
// different last writer — and after a fix there is no drift at all.
func TestConcurrentWriters(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			workers, ops := 8, 150
			if k.name == "cloudflare" {
				workers, ops = 3, 15
			}
			ctx := context.Background()
			be := k.open(t)
			spec := loadSpec(t, false)
			migrate(t, ctx, spec, be, applier.Options{})
			ds := open(t, ctx, spec, be)
			sys := ds.System()
			shared := make([]string, 6)
			for i := range shared {
				shared[i] = fmt.Sprintf("shared-%d", i)
			}
			var mu sync.Mutex
			written := map[string]map[string]bool{} // id -> titles saved successfully
			last := map[string]string{}             // private id -> last title saved
			note := func(id, title string, private bool) {
				mu.Lock()
				defer mu.Unlock()
				if written[id] == nil {
					written[id] = map[string]bool{}
				}
				written[id][title] = true
				if private {
					last[id] = title
				}
			}
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(w), 1))
					mine := []string{}
					for i := range ops {
						title := fmt.Sprintf("w%d-%d", w, i)
						private := rng.IntN(2) == 0
						id := shared[rng.IntN(len(shared))]
						if private {
							if len(mine) == 0 || rng.IntN(4) == 0 {
								id = fmt.Sprintf("w%d-rec%d", w, i)
								mine = append(mine, id)
							} else {
								id = mine[rng.IntN(len(mine))]
							}
						}
						r, err := sys.Get(ctx, "PAGE", id, runtime.IncludingDeleted())
						switch {
						case errors.Is(err, runtime.ErrNotFound):
							_, err = sys.Create(ctx, "PAGE", map[string]any{"page_id": id, "title": title})
							if errors.Is(err, runtime.ErrConflict) {
								continue // another writer created it first
							}
							if err == nil {
								note(id, title, private)
							}
						case err != nil:
						case r.IsDeleted():
							err = r.Restore(ctx)
							if err == nil {
								note(id, r.Get("title").(string), private)
							}
						case rng.IntN(5) == 0:
							err = r.Delete(ctx)
							if err == nil {
								note(id, r.Get("title").(string), private)
							}
						default:
							r.Set("title", title)
							if err = r.Save(ctx); err == nil {
								note(id, title, private)
							}
						}
						if err != nil {
							errs <- fmt.Errorf("worker %d op %d on %s: %w", w, i, id, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}

			rep, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range rep.Models {
				for _, d := range m.Drift {
					if _, isPrivate := last[d.ID]; d.Kind != operator.DriftStaleRow || isPrivate {
						t.Errorf("unexpected drift %s %s %s", m.Model, d.ID, d.Kind)
					}
				}
			}
			t.Logf("%d records, %d stale rows of shared records before the fix", len(written), rep.Models[0].Stale)
			converge(t, ctx, spec, be, drift(rep))
			for id, titles := range written {
				r, err := sys.Get(ctx, "PAGE", id, runtime.IncludingDeleted())
				if err != nil {
					t.Errorf("%s: %v", id, err)
					continue
				}
				got, _ := r.Get("title").(string)
				if want, private := last[id]; private && got != want {
					t.Errorf("private %s holds %q, its last save wrote %q", id, got, want)
				}
				if !titles[got] {
					t.Errorf("%s holds %q, which no successful save wrote", id, got)
				}
			}
		})
	}
}

package local

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"

	"github.com/dmplan/dmplan/backend"
)

// openFresh opens the store in dir, creates a namespace and writes one row
// and one key: what a first apply does on a fresh target.
func openFresh(ctx context.Context, dir, who string) error {
	s, err := Open(ctx, dir)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := s.D1().Query(ctx, backend.Stmt{SQL: `CREATE TABLE IF NOT EXISTS w (id INTEGER PRIMARY KEY, who TEXT NOT NULL)`}); err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	if _, err := s.D1().Query(ctx, backend.Stmt{SQL: `INSERT INTO w (who) VALUES (?)`, Args: []any{who}}); err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	ns, err := s.KV().CreateNamespace(ctx, "W")
	if err != nil {
		return fmt.Errorf("create namespace: %w", err)
	}
	if err := s.KV().Put(ctx, ns.ID, backend.Entry{Key: who, Value: []byte(who)}); err != nil {
		return fmt.Errorf("put: %w", err)
	}
	return nil
}

// TestOpenFreshConcurrently: several processes (and goroutines in each)
// opening the same fresh directory at once, as two first applies do, all
// succeed, round after round.
func TestOpenFreshConcurrently(t *testing.T) {
	if dir := os.Getenv("DMPLAN_LOCAL_OPEN_DIR"); dir != "" {
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for g := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := openFresh(context.Background(), dir, fmt.Sprintf("%s-%d", os.Getenv("DMPLAN_LOCAL_OPEN_WHO"), g)); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	rounds, procs := 30, 4
	if testing.Short() {
		rounds = 5
	}
	if n, err := strconv.Atoi(os.Getenv("DMPLAN_OPEN_ROUNDS")); err == nil {
		rounds = n
	}
	for r := range rounds {
		dir := t.TempDir()
		var wg sync.WaitGroup
		outs := make([]string, procs)
		errs := make([]error, procs)
		for p := range procs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := exec.Command(os.Args[0], "-test.run=^TestOpenFreshConcurrently$")
				cmd.Env = append(os.Environ(), "DMPLAN_LOCAL_OPEN_DIR="+dir, fmt.Sprintf("DMPLAN_LOCAL_OPEN_WHO=p%d", p))
				out, err := cmd.CombinedOutput()
				outs[p], errs[p] = string(out), err
			}()
		}
		wg.Wait()
		for p, err := range errs {
			if err != nil {
				t.Errorf("round %d process %d: %v\n%s", r, p, err, outs[p])
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		s, err := Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.D1().Query(context.Background(), backend.Stmt{SQL: `SELECT count(*) FROM w`})
		if err != nil || res.Rows[0][0] != int64(2*procs) {
			t.Errorf("round %d: rows %v %v", r, res, err)
		}
		nss, err := s.KV().Namespaces(context.Background())
		if err != nil || len(nss) != 1 {
			t.Errorf("round %d: namespaces %v %v", r, nss, err)
		}
		s.Close()
	}
}

package applier

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/backend/faulty"
)

// TestLockLostAnswer takes the lock through a backend that runs the lock
// batch and then loses its answer: the retry with the same holder id
// finds its own lease and takes it; the lease is the one Release removes.
// When every answer is lost, the lease it may hold is removed again, so
// no lease is left that nobody knows the id of.
func TestLockLostAnswer(t *testing.T) {
	tests := []struct {
		name    string
		lost    int // answers lost in a row
		wantErr bool
	}{
		{"one lost answer", 1, false},
		{"two lost answers", 2, false},
		{"every answer lost", lockAttempts, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := faulty.Wrap(openStore(t))
			for i := range tt.lost {
				f.FailNthAfter(faulty.D1Batch, i+1)
			}
			l, err := AcquireLock(ctx, f.D1(), LockOptions{Who: "me@test", Logger: quietLogger()})
			if tt.wantErr {
				if err == nil {
					t.Fatalf("AcquireLock = %v, want the lost answers' error", l.ID)
				}
				if cur, herr := LockHolder(ctx, f.D1()); herr != nil || cur != nil {
					t.Errorf("after giving up, the lock is held by %+v (%v); want no lease left", cur, herr)
				}
				return
			}
			if err != nil {
				t.Fatalf("AcquireLock with %d lost answers: %v", tt.lost, err)
			}
			cur, err := LockHolder(ctx, f.D1())
			if err != nil || cur == nil || cur.ID != l.ID || cur.Who != "me@test" {
				t.Fatalf("lock holder = %+v (%v), want this holder's lease %s", cur, err, l.ID)
			}
			if got := f.Count(faulty.D1Batch); got != tt.lost+1 {
				t.Errorf("lock batches sent = %d, want %d", got, tt.lost+1)
			}
			if err := l.Release(ctx); err != nil {
				t.Fatalf("Release: %v", err)
			}
			if cur, err := LockHolder(ctx, f.D1()); err != nil || cur != nil {
				t.Errorf("after Release the lock is held by %+v (%v)", cur, err)
			}
		})
	}
}

// TestLockLostAnswerKeepsOthersLease checks that the retry takes only the
// own lease: another holder's live lease is still reported as held.
func TestLockLostAnswerKeepsOthersLease(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	other, err := AcquireLock(ctx, b.D1(), LockOptions{Who: "other@test", Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release(ctx)
	f := faulty.Wrap(b)
	f.FailNthAfter(faulty.D1Batch, 1)
	_, err = AcquireLock(ctx, f.D1(), LockOptions{Who: "me@test", Logger: quietLogger()})
	if err == nil || !strings.Contains(err.Error(), "other@test") {
		t.Fatalf("AcquireLock = %v, want locked by other@test", err)
	}
	if cur, _ := LockHolder(ctx, b.D1()); cur == nil || cur.ID != other.ID {
		t.Errorf("lock holder = %+v, want the other holder's %s", cur, other.ID)
	}
}

// TestCloudflareLockDroppedAnswer drops the answer to the lock-taking
// request after D1 ran it, on the REST harness (workerd): the lock is
// taken all the same, by this holder, and released at the end.
func TestCloudflareLockDroppedAnswer(t *testing.T) {
	ctx := context.Background()
	h := cftest.Start(t)
	acct := h.NewAccount(t)
	h.NewDatabase(t, acct, "shop")
	s, err := cloudflare.Open(ctx, cloudflare.Config{
		AccountID: acct, APIToken: h.Token, Database: "shop", BaseURL: h.BaseURL,
		Getenv: func(string) string { return "" }, Environment: "test", Logger: quietLogger(),
	})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer s.Close()
	h.SetFault(t, cftest.Fault{Account: acct, Drop: true, Count: 1, After: true})
	l, err := AcquireLock(ctx, s.D1(), LockOptions{Who: "me@test", Logger: quietLogger()})
	if err != nil {
		t.Fatalf("AcquireLock after a dropped answer: %v", err)
	}
	cur, err := LockHolder(ctx, s.D1())
	if err != nil || cur == nil || cur.ID != l.ID {
		t.Fatalf("lock holder = %+v (%v), want %s", cur, err, l.ID)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if cur, err := LockHolder(ctx, s.D1()); err != nil || cur != nil {
		t.Errorf("after Release the lock is held by %+v (%v)", cur, err)
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

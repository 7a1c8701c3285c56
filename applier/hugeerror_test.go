package applier

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/state"
)

// A statement D1 refuses for its size (a 5 MB default, were it to reach
// apply) fails its step with an error that quotes only the start of the
// statement, and the failed apply is still recorded in history: the
// history row used to carry the whole statement in its error and was
// itself refused as over 2 MB.
func TestApplyHugeStatementFailureIsClippedAndRecorded(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	const size = 5_000_000
	huge := strings.Replace(baseHCL, `default = "pending"`, `default = "`+strings.Repeat("x", size)+`"`, 1)
	p := makePlan(t, b, loadSpec(t, huge))
	_, err := Apply(ctx, b, p, Options{})
	var se *StepError
	if !errors.As(err, &se) || !errors.Is(err, backend.ErrTooLarge) {
		t.Fatalf("Apply = %.300v, want a StepError wrapping ErrTooLarge", err)
	}
	msg := err.Error()
	if len(msg) > 1000 || !strings.Contains(msg, "bytes)") || !strings.Contains(msg, `CREATE TABLE "page_meta"`) {
		t.Errorf("error of %d bytes: %.600s", len(msg), msg)
	}
	hist, herr := History(ctx, b.D1(), 1)
	if herr != nil || len(hist) != 1 {
		t.Fatalf("History = %v, %v: the failed apply was not recorded", hist, herr)
	}
	if h := hist[0]; h.Outcome != state.OutcomeFailed || h.Error != msg {
		t.Errorf("history row: outcome %q, error %.300q", h.Outcome, h.Error)
	}
	if s := clipSQL(strings.Repeat("é", 10), 5); s != "éé… (16 more bytes)" {
		t.Errorf("clip cut inside a character: %q", s)
	}
}

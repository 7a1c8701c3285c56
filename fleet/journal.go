package fleet

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Where a rollout's progress lives, and why:
//
//   - The ground truth is each database's own history: the batch that
//     changes a database also inserts its history row with the rollout id
//     (applier.ApplyLean), in one transaction. Whatever happens to the
//     process, a database holds the change and the row, or neither; a
//     resumed rollout reads the row in the inspection it does anyway
//     (applier.RolloutProbe) and never applies the change twice.
//   - The journal is a local JSON-lines file, appended and synced once per
//     database when its outcome is known. It makes a resume cheap: a
//     database the journal says is done or current is not asked again
//     (no requests), and it holds the report. Losing it costs requests,
//     never correctness: without it every database is inspected again and
//     its history says what was done.
//   - No control database holds progress: it would be one more request
//     per database and one more thing that can be unreachable. The fleet's
//     first database holds only the rollout lease (applier.RolloutLock),
//     so two rollouts never run at once.

// ErrJournal is wrapped by errors reading or writing a rollout journal.
var ErrJournal = errors.New("fleet: rollout journal")

// JournalHeader is the journal's first line: which rollout of what.
type JournalHeader struct {
	Rollout     string `json:"rollout"`
	Environment string `json:"environment"`
	// SpecDigest identifies the spec the rollout applies; a resume with a
	// different spec is refused.
	SpecDigest string    `json:"spec_digest,omitempty"`
	Started    time.Time `json:"started"`
	Actor      string    `json:"actor,omitempty"`
}

type journalLine struct {
	Header        *JournalHeader `json:"header,omitempty"`
	RolloutResult *RolloutResult `json:"result,omitempty"`
	End           *time.Time     `json:"end,omitempty"`
}

// Journal is a rollout's local progress file.
type Journal struct {
	Header JournalHeader
	path   string

	mu      sync.Mutex
	f       *os.File
	results map[string]RolloutResult
}

// JournalPath is where the journal of rollout id lives under dir.
func JournalPath(dir, id string) string { return filepath.Join(dir, id+".jsonl") }

// CreateJournal starts the journal of a new rollout in dir.
func CreateJournal(dir string, h JournalHeader) (*Journal, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	path := JournalPath(dir, h.Rollout)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	j := &Journal{Header: h, path: path, f: f, results: map[string]RolloutResult{}}
	if err := j.append(journalLine{Header: &h}); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// OpenJournal opens the journal of an earlier rollout to continue it. A
// torn last line (the process was killed while writing it) is ignored:
// that database is simply asked again.
func OpenJournal(path string) (*Journal, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	j := &Journal{path: path, results: map[string]RolloutResult{}}
	off := 0
	for n := 1; off < len(data); n++ {
		ln, rest, _ := bytes.Cut(data[off:], []byte("\n"))
		if len(bytes.TrimSpace(ln)) == 0 {
			off += len(ln) + 1
			continue
		}
		var l journalLine
		if err := json.Unmarshal(ln, &l); err != nil {
			if len(bytes.TrimSpace(rest)) == 0 { // the last line, torn by a kill
				data = data[:off]
				break
			}
			return nil, fmt.Errorf("%w: %s:%d: %w", ErrJournal, path, n, err)
		}
		switch {
		case l.Header != nil:
			j.Header = *l.Header
		case l.RolloutResult != nil:
			j.results[l.RolloutResult.Database] = *l.RolloutResult
		}
		off += len(ln) + 1
	}
	if j.Header.Rollout == "" {
		return nil, fmt.Errorf("%w: %s has no header", ErrJournal, path)
	}
	// Rewrite a torn tail away so the next line starts clean.
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	j.f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	return j, nil
}

// Path returns the journal's file.
func (j *Journal) Path() string { return j.path }

// Final returns the recorded outcome of a database when it is final (done
// or current): a resume does not ask that database again. A blocked or
// failed one is asked again (someone may have fixed it meanwhile).
func (j *Journal) Final(database string) (RolloutResult, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	r, ok := j.results[database]
	if !ok || !r.Status.final() {
		return RolloutResult{}, false
	}
	return r, true
}

// Results returns every recorded outcome, by database name.
func (j *Journal) Results() []RolloutResult {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]RolloutResult, 0, len(j.results))
	for _, r := range j.results {
		out = append(out, r)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Database < out[b].Database })
	return out
}

// Record appends a database's outcome and syncs the file.
func (j *Journal) Record(r RolloutResult) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.results[r.Database] = r
	return j.append(journalLine{RolloutResult: &r})
}

// Finish records the rollout's end and closes the file.
func (j *Journal) Finish(at time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	err := j.append(journalLine{End: &at})
	if cerr := j.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%w: %w", ErrJournal, cerr)
	}
	return err
}

// Close closes the file without recording an end (the rollout stopped
// early and can be resumed).
func (j *Journal) Close() error { return j.f.Close() }

func (j *Journal) append(l journalLine) error {
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrJournal, err)
	}
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("%w: %w", ErrJournal, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("%w: %w", ErrJournal, err)
	}
	return nil
}

// LatestUnfinished returns the path of the newest journal in dir of a
// rollout of environment env that did not record its end, or "".
func LatestUnfinished(dir, env string) (string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrJournal, err)
	}
	var best string
	var bestAt time.Time
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".jsonl") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		h, ended, err := peekJournal(path)
		if err != nil || ended || h.Environment != env {
			continue
		}
		if best == "" || h.Started.After(bestAt) {
			best, bestAt = path, h.Started
		}
	}
	return best, nil
}

// peekJournal reads a journal's header and whether it ended.
func peekJournal(path string) (JournalHeader, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return JournalHeader{}, false, err
	}
	defer f.Close()
	var h JournalHeader
	ended := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var l journalLine
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		if l.Header != nil {
			h = *l.Header
		}
		if l.End != nil {
			ended = true
		}
	}
	return h, ended, sc.Err()
}

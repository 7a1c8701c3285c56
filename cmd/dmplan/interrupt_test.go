package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
)

const interruptHCL = `project "blog" {}

environment "production" {
  backend    = "cloudflare"
  account_id = env.CF_ACCOUNT
  database   = "blog"
}

model "POST" {
  primary_key = "post_id"
  field "title" {
    type     = string
    required = true
  }
  kv { namespace = "POSTS" }
  d1 {
    table       = "posts"
    sync_fields = ["title"]
  }
}

seed "POST" "welcome" {
  match = ["title"]
  data  = { title = "welcome", user_id = "u1" }
}
`

// holdProxy forwards API requests to the harness, holding the first one
// whose body contains hold until release is closed: a batch in flight for
// as long as the test needs.
type holdProxy struct {
	*httptest.Server
	held    chan struct{} // closed when the request arrives
	release chan struct{}
	once    sync.Once
}

func newHoldProxy(t *testing.T, target, hold string) *holdProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &holdProxy{held: make(chan struct{}), release: make(chan struct{})}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorLog = log.New(io.Discard, "", 0) // a process killed mid-request is expected
	var seen sync.Once
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte(hold)) {
			seen.Do(func() {
				close(p.held)
				<-p.release
			})
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { p.let(); p.Close() })
	return p
}

// let the held request through.
func (p *holdProxy) let() { p.once.Do(func() { close(p.release) }) }

// TestApplyInterrupt runs dmplan apply as a process against Cloudflare D1
// (the workerd harness, behind a proxy that holds the plan's SQL batch in
// flight) and interrupts it with SIGINT, as Ctrl-C does. Once: the batch
// finishes, the seed after it does not run, the lock is released, history
// records the apply as interrupted and the process says so and exits 1.
// Twice: the process ends at once (130), naming the lock it leaves and
// the history row still running; force-unlock frees the lock, and the
// next apply marks the row interrupted and says so.
func TestApplyInterrupt(t *testing.T) {
	bin, err := exec.LookPath("dmplan") // the test binary as dmplan (TestMain)
	if err != nil {
		t.Fatalf("dmplan is not on PATH: %v", err)
	}
	h := cftest.Shared(t)
	for _, twice := range []bool{false, true} {
		name := "once"
		if twice {
			name = "twice"
		}
		t.Run(name, func(t *testing.T) {
			acct := h.NewAccount(t)
			h.NewDatabase(t, acct, "blog")
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "blog.dm.hcl"), []byte(interruptHCL), 0o644); err != nil {
				t.Fatal(err)
			}
			proxy := newHoldProxy(t, h.BaseURL, `CREATE TABLE \"posts\"`)
			env := map[string]string{"CF_ACCOUNT": acct, "CLOUDFLARE_API_TOKEN": h.Token, "CLOUDFLARE_BASE_URL": h.BaseURL, "NO_COLOR": "1"}
			cmd := exec.Command(bin, "apply", "-auto-approve", "-env", "production", dir)
			cmd.Env = append(os.Environ(), "CF_ACCOUNT="+acct, "CLOUDFLARE_API_TOKEN="+h.Token, "CLOUDFLARE_BASE_URL="+proxy.URL, "NO_COLOR=1")
			var stdout bytes.Buffer
			stderr := &syncBuffer{}
			cmd.Stdout, cmd.Stderr = &stdout, stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			defer cmd.Process.Kill()
			select {
			case <-proxy.held:
			case err := <-exited:
				t.Fatalf("apply ended before its SQL batch: %v\n%s%s", err, &stdout, stderr)
			case <-time.After(2 * time.Minute):
				t.Fatalf("the SQL batch never came:\n%s%s", &stdout, stderr)
			}
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			waitFor(t, stderr, "Interrupt received")
			if twice {
				if err := cmd.Process.Signal(os.Interrupt); err != nil {
					t.Fatal(err)
				}
			} else {
				proxy.let()
			}
			var code int
			select {
			case err := <-exited:
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					code = ee.ExitCode()
				}
			case <-time.After(time.Minute):
				t.Fatalf("apply did not end after the interrupt:\n%s%s", &stdout, stderr)
			}
			proxy.let()
			out := stdout.String() + stderr.String()
			t.Logf("apply said:\n%s", out)
			if strings.Contains(out, acct) {
				t.Errorf("the output holds the account id")
			}

			hist := historyJSON(t, dir, env)
			if len(hist) != 1 {
				t.Fatalf("history has %d rows, want 1", len(hist))
			}
			if !twice {
				if code != exitError {
					t.Errorf("exit code %d, want %d", code, exitError)
				}
				for _, want := range []string{"created table posts", "apply interrupted before step 3 (seed POST.welcome (model POST)): 2 of 3 steps applied.",
					"The lock is released, and history records this apply as interrupted."} {
					if !strings.Contains(out, want) {
						t.Errorf("output lacks %q", want)
					}
				}
				if strings.Contains(out, "seeded POST.welcome") {
					t.Errorf("the seed ran after the interrupt")
				}
				if hist[0]["outcome"] != "interrupted" {
					t.Errorf("history outcome = %v, want interrupted", hist[0]["outcome"])
				}
				// plan says so, and holds the seed left undone.
				code, out := runOut(t, env, "plan", "-env", "production", dir)
				if code != exitOK || !strings.Contains(out, "history: the last apply (history 1, plan ") ||
					!strings.Contains(out, ") was interrupted before its end; this plan holds what it left undone") ||
					!strings.Contains(out, "seed POST.welcome") {
					t.Errorf("plan after the interrupt: exit %d, want a note on the interrupted apply and the seed\n%s", code, out)
				}
				// The lock is free: the next apply runs the seed at once.
				code, out = runOut(t, env, "apply", "-auto-approve", "-env", "production", dir)
				if code != exitOK || !strings.Contains(out, "seeded POST.welcome") {
					t.Fatalf("the next apply: exit %d\n%s", code, out)
				}
				return
			}
			if code != exitInterrupted {
				t.Errorf("exit code %d, want %d", code, exitInterrupted)
			}
			m := regexp.MustCompile(`free it now with: dmplan force-unlock -env production ([0-9a-f-]{36}) `).FindStringSubmatch(out)
			if m == nil || !strings.Contains(out, "Second interrupt: stopping at once") || !strings.Contains(out, "history row, still marked running") {
				t.Fatalf("the second interrupt does not say what it leaves behind")
			}
			if hist[0]["outcome"] != "running" || hist[0]["unfinished"] != nil {
				t.Errorf("history = %v %v, want running, not unfinished while the lease is held", hist[0]["outcome"], hist[0]["unfinished"])
			}
			if code, out := runOut(t, env, "plan", "-env", "production", dir); !strings.Contains(out, "is recorded as running: it is still applying, or it was killed") {
				t.Errorf("plan after the second interrupt (exit %d) does not note the apply recorded as running:\n%s", code, out)
			}
			if code, out := runOut(t, env, "apply", "-auto-approve", "-env", "production", dir); code != exitError || !strings.Contains(out, "locked") {
				t.Errorf("apply while the lease is left: exit %d, want the lock refused\n%s", code, out)
			}
			// -force: the test has no terminal to answer force-unlock's question.
			if code, out := runOut(t, env, "force-unlock", "-force", "-env", "production", m[1], dir); code != exitOK {
				t.Fatalf("force-unlock %s: exit %d\n%s", m[1], code, out)
			}
			// With the lock free, history calls the row unfinished.
			if hist := historyJSON(t, dir, env); hist[0]["unfinished"] != true {
				t.Errorf("history after force-unlock: unfinished = %v, want true", hist[0]["unfinished"])
			}
			if code, out := runOut(t, env, "history", "-env", "production", dir); !strings.Contains(out, "unfinished") ||
				!strings.Contains(out, "it was killed or could not record its end") {
				t.Errorf("history (exit %d) does not show the unfinished apply:\n%s", code, out)
			}
			code, out = runOut(t, env, "apply", "-auto-approve", "-env", "production", dir)
			if code != exitOK || !strings.Contains(out, "Note: an earlier apply did not finish") {
				t.Fatalf("the next apply: exit %d, want it to note the interrupted one\n%s", code, out)
			}
			if hist := historyJSON(t, dir, env); len(hist) != 2 || hist[1]["outcome"] != "interrupted" {
				t.Errorf("history after the next apply = %v, want the killed row interrupted", hist)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitFor(t *testing.T, b *syncBuffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(b.String(), want) {
			return
		}
	}
	t.Fatalf("waited for %q; the process said:\n%s", want, b)
}

// runOut runs one dmplan command in the test process: its exit code and
// its stdout and stderr together.
func runOut(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	code, out, errOut := runCLI(t, env, args...)
	return code, out + errOut
}

func historyJSON(t *testing.T, dir string, env map[string]string) []map[string]any {
	t.Helper()
	code, out := runOut(t, env, "history", "-json", "-env", "production", dir)
	var doc struct {
		History []map[string]any `json:"history"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &doc) != nil {
		t.Fatalf("history -json: exit %d\n%s", code, out)
	}
	return doc.History
}

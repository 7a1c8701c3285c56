// Package nodeproc runs the node processes the test helpers of the real
// Cloudflare components start (backend/cloudflare/cftest's harness,
// backend/gateway/gwtest's launcher): node in its own process group, so
// stopping it also stops the workerd it spawned, ready once it prints a
// "READY <payload>" line, with the tail of its stderr kept for errors; and
// the JSON calls the helpers make to the process's control endpoints.
package nodeproc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// stderrTail is how much of the process's stderr errors quote.
const stderrTail = 8 << 10

// Proc is a running node process.
type Proc struct {
	cmd    *exec.Cmd
	done   chan struct{}
	stderr *tailBuffer
}

// Start runs `node args...` in dir and waits up to timeout for it to print
// a line "READY <payload>" on stdout, returning the payload (trimmed).
// Errors start with prefix ("cftest"), and name the process as what
// ("harness"). On an error the process is stopped; otherwise the caller
// stops it with Close.
func Start(prefix, what, dir string, args []string, timeout time.Duration) (*Proc, string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, "", fmt.Errorf("%s: find node: %w", prefix, err)
	}
	cmd := exec.Command(node, args...)
	cmd.Dir = dir
	setProcessGroup(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", fmt.Errorf("%s: pipe %s stdout: %w", prefix, what, err)
	}
	p := &Proc{cmd: cmd, done: make(chan struct{}), stderr: &tailBuffer{max: stderrTail}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("%s: start %s: %w", prefix, what, err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20) // the READY payload may be a long JSON line
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "READY ") {
				ready <- strings.TrimSpace(strings.TrimPrefix(line, "READY "))
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case payload := <-ready:
		return p, payload, nil
	case <-p.done:
		return nil, "", fmt.Errorf("%s: %s exited before READY: %s", prefix, what, p.stderr.String())
	case <-timer.C:
		p.Close()
		return nil, "", fmt.Errorf("%s: %s not READY after %s: %s", prefix, what, timeout, p.stderr.String())
	}
}

// Close stops the process group (node and workerd): SIGTERM, then SIGKILL
// after 5 seconds. It returns once the process has exited.
func (p *Proc) Close() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	stopProcessGroup(p.cmd, false)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		stopProcessGroup(p.cmd, true)
		<-p.done
	}
	return nil
}

// Stderr returns the last bytes the process wrote to stderr.
func (p *Proc) Stderr() string { return p.stderr.String() }

// JSON sends in (when not nil) as a JSON body with header, and decodes a
// 2xx answer into out (when not nil). Any other status is an error quoting
// the answer.
func JSON(ctx context.Context, client *http.Client, method, url string, header http.Header, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(b.buf.String())
}

// Pid returns the process id of node (its children share its process
// group).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

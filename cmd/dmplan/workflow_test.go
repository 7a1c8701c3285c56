package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"

	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
)

// The example GitHub Actions workflows (examples/github/.github) are
// checked twice: actionlint, through its Go API, validates them and the
// composite action they use; then their run steps are executed here
// against the workerd harness, in a job runner that does what GitHub's does
// for the parts the workflows use (contexts, env, if, needs, a one-key
// matrix, step and job outputs, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY).
// Steps that use an action are left out (checkout and artifacts: the
// runner keeps one workspace; setup-dmplan: the dmplan under test is on
// PATH), and so are run steps that call neither dmplan nor gh (wrangler
// deploy). gh is the fake from fakeGH.

const workflowsRoot = "../../examples/github"

// TestExampleWorkflowsLint runs actionlint over the example workflows.
func TestExampleWorkflowsLint(t *testing.T) {
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{Color: actionlint.ColorOptionKindNever, Oneline: true})
	if err != nil {
		t.Fatal(err)
	}
	errs := lintWorkflows(t, l, workflowsRoot)
	for _, e := range errs {
		t.Errorf("%s:%d:%d: %s [%s]", e.Filepath, e.Line, e.Column, e.Message, e.Kind)
	}
	files, _ := filepath.Glob(filepath.Join(workflowsRoot, ".github", "workflows", "*.yml"))
	if len(files) < 3 {
		t.Errorf("found %d workflows in %s, want the plan, apply and drift ones", len(files), workflowsRoot)
	}
}

// TestExampleWorkflowsLintCatchesMistakes is the control: the same linter
// rejects a workflow with a typo in an expression and an unknown action
// input, so a clean lint means something.
func TestExampleWorkflowsLintCatchesMistakes(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(workflowsRoot, ".github", "workflows", "dmplan-plan.yml"))
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(b), "steps.plan.outputs.exitcode", "steps.plna.outputs.exitcode", 1)
	broken = strings.Replace(broken, "version: v0.1.0", "versoin: v0.1.0", 1)
	copyTree(t, filepath.Join(workflowsRoot, ".github"), filepath.Join(dir, ".github"))
	if err := os.WriteFile(filepath.Join(dir, ".github", "workflows", "dmplan-plan.yml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := actionlint.NewLinter(&bytes.Buffer{}, &actionlint.LinterOptions{Color: actionlint.ColorOptionKindNever})
	if err != nil {
		t.Fatal(err)
	}
	errs := lintWorkflows(t, l, dir)
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{`property "plna" is not defined`, `input "versoin" is not defined`} {
		if !strings.Contains(all, want) {
			t.Errorf("actionlint did not report %q; it said:\n%s", want, all)
		}
	}
}

// lintWorkflows lints every workflow of the repository rooted at root,
// resolving local actions (./.github/actions/...) against root.
func lintWorkflows(t *testing.T, l *actionlint.Linter, root string) []*actionlint.Error {
	t.Helper()
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	p, err := actionlint.NewProject(abs)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.LintDir(p.WorkflowsDir(), p)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

// wfRunner runs workflows in one workspace, as a GitHub runner would.
type wfRunner struct {
	t         *testing.T
	workspace string
	// contexts are github, secrets and vars, for ${{ }} expressions.
	contexts map[string]any
	// env is the runner's environment, before the workflow's.
	env []string
	log bytes.Buffer
}

// jobResult is what a finished job leaves for the jobs that need it.
type jobResult struct {
	result  string // success, failure or skipped
	outputs map[string]any
}

// run runs every job of the workflow file, needs first, and returns the
// results by job id (a matrix job's result is its worst leg's).
func (r *wfRunner) run(file string) map[string]*jobResult {
	r.t.Helper()
	src, err := os.ReadFile(filepath.Join(r.workspace, ".github", "workflows", file))
	if err != nil {
		r.t.Fatal(err)
	}
	wf, errs := actionlint.Parse(src)
	if len(errs) > 0 {
		r.t.Fatalf("%s: %s", file, errs[0].Message)
	}
	fmt.Fprintf(&r.log, "=== workflow %s\n", file)
	results := map[string]*jobResult{}
	ids := make([]string, 0, len(wf.Jobs))
	for id := range wf.Jobs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for len(results) < len(ids) {
		progressed := false
		for _, id := range ids {
			job := wf.Jobs[id]
			waiting := slices.ContainsFunc(job.Needs, func(n *actionlint.String) bool { return results[n.Value] == nil })
			if results[id] != nil || waiting {
				continue
			}
			results[id] = r.runJob(wf, id, job, results)
			progressed = true
		}
		if !progressed {
			r.t.Fatalf("%s: jobs need each other in a cycle", file)
		}
	}
	return results
}

func (r *wfRunner) runJob(wf *actionlint.Workflow, id string, job *actionlint.Job, done map[string]*jobResult) *jobResult {
	needs := map[string]any{}
	for _, n := range job.Needs {
		needs[n.Value] = map[string]any{"result": done[n.Value].result, "outputs": lenient(done[n.Value].outputs)}
	}
	ctx := r.context(map[string]any{"needs": needs})
	// A job whose needs did not all succeed is skipped unless its if
	// says otherwise (always()), as GitHub does.
	cond := "success()"
	if job.If != nil {
		cond = job.If.Value
	}
	if !truthy(r.eval(ctx, cond, statusOf(needs))) {
		fmt.Fprintf(&r.log, "--- job %s: skipped (if: %s)\n", id, cond)
		return &jobResult{result: "skipped", outputs: map[string]any{}}
	}
	legs := []map[string]any{nil}
	if job.Strategy != nil && job.Strategy.Matrix != nil {
		legs = nil
		if len(job.Strategy.Matrix.Rows) != 1 {
			r.t.Fatalf("job %s: the runner supports a matrix of one key", id)
		}
		for key, row := range job.Strategy.Matrix.Rows {
			for _, v := range row.Values {
				s, ok := v.(*actionlint.RawYAMLString)
				if !ok {
					r.t.Fatalf("job %s: matrix value %v is not a string", id, v)
				}
				legs = append(legs, map[string]any{key: s.Value})
			}
		}
	}
	res := &jobResult{result: "success", outputs: map[string]any{}}
	for _, matrix := range legs {
		leg := r.runLeg(wf, id, job, needs, matrix)
		if leg.result != "success" {
			res.result = leg.result
		}
		for k, v := range leg.outputs {
			res.outputs[k] = v
		}
	}
	return res
}

// statusOf is the job status its needs give: failure when one failed.
func statusOf(needs map[string]any) string {
	for _, n := range needs {
		if r := n.(map[string]any)["result"]; r != "success" {
			return "failure"
		}
	}
	return "success"
}

func (r *wfRunner) runLeg(wf *actionlint.Workflow, id string, job *actionlint.Job, needs, matrix map[string]any) *jobResult {
	fmt.Fprintf(&r.log, "--- job %s %v\n", id, matrix)
	steps := lenient{}
	base := map[string]any{"needs": needs, "matrix": matrix, "steps": steps}
	env := map[string]string{}
	r.addEnv(env, r.context(base), wf.Env)
	r.addEnv(env, r.context(base), job.Env)
	status := "success"
	for i, st := range job.Steps {
		name := fmt.Sprintf("step %d", i+1)
		if st.Name != nil {
			name = st.Name.Value
		}
		ctx := r.context(base)
		cond := "success()"
		if st.If != nil {
			cond = st.If.Value
		}
		if !truthy(r.eval(ctx, cond, status)) {
			fmt.Fprintf(&r.log, "%s: skipped (if: %s)\n", name, cond)
			continue
		}
		run, ok := st.Exec.(*actionlint.ExecRun)
		if !ok {
			fmt.Fprintf(&r.log, "%s: uses %s: left out\n", name, st.Exec.(*actionlint.ExecAction).Uses.Value)
			continue
		}
		script := run.Run.Value
		if !strings.Contains(script, "dmplan") && !strings.Contains(script, "gh ") {
			fmt.Fprintf(&r.log, "%s: runs neither dmplan nor gh: left out\n", name)
			continue
		}
		if actionlint.ContainsExpression(script) {
			r.t.Fatalf("%s: a run script must take values from env, not ${{ }}", name)
		}
		stepEnv := maps(env)
		r.addEnv(stepEnv, ctx, st.Env)
		outputs, code := r.exec(name, script, stepEnv)
		if st.ID != nil {
			steps[st.ID.Value] = map[string]any{"outputs": lenient(outputs), "outcome": map[bool]string{true: "success", false: "failure"}[code == 0]}
		}
		if code != 0 {
			status = "failure"
		}
	}
	res := &jobResult{result: status, outputs: map[string]any{}}
	for name, o := range job.Outputs {
		res.outputs[name] = r.expand(r.context(base), o.Value.Value)
	}
	fmt.Fprintf(&r.log, "--- job %s %v: %s\n", id, matrix, status)
	return res
}

// exec runs one step's script as GitHub's default bash shell does, and
// returns what it wrote to GITHUB_OUTPUT and its exit code.
func (r *wfRunner) exec(name, script string, env map[string]string) (map[string]any, int) {
	dir := r.t.TempDir()
	outFile, summary := filepath.Join(dir, "output"), filepath.Join(r.workspace, "summary.md")
	if err := os.WriteFile(outFile, nil, 0o644); err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir = r.workspace
	cmd.Env = append(slices.Clone(r.env), "GITHUB_OUTPUT="+outFile, "GITHUB_STEP_SUMMARY="+summary, "GITHUB_WORKSPACE="+r.workspace)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			r.t.Fatalf("%s: %v", name, err)
		}
		code = ee.ExitCode()
	}
	fmt.Fprintf(&r.log, "%s: exit %d\n%s", name, code, indentText(out.String()))
	outputs := map[string]any{}
	b, _ := os.ReadFile(outFile)
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			outputs[k] = v
		}
	}
	return outputs, code
}

func indentText(s string) string {
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// context is the runner's contexts plus the job's.
func (r *wfRunner) context(extra map[string]any) map[string]any {
	ctx := map[string]any{}
	for k, v := range r.contexts {
		ctx[k] = v
	}
	for k, v := range extra {
		ctx[k] = v
	}
	return ctx
}

func (r *wfRunner) addEnv(env map[string]string, ctx map[string]any, e *actionlint.Env) {
	if e == nil {
		return
	}
	if e.Expression != nil {
		r.t.Fatalf("env: %s: the runner does not evaluate a whole env from an expression", e.Expression.Value)
	}
	for _, v := range e.Vars {
		env[v.Name.Value] = r.expand(ctx, v.Value.Value)
	}
}

// expand replaces every ${{ expr }} in s with its value.
func (r *wfRunner) expand(ctx map[string]any, s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "${{")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			r.t.Fatalf("unterminated expression in %q", s)
		}
		b.WriteString(s[:i])
		b.WriteString(str(r.eval(ctx, s[i+3:i+j], "success")))
		s = s[i+j+2:]
	}
}

// eval evaluates a GitHub expression (without ${{ }}) with the status
// functions answering for status. An unknown context, property or
// function fails the test, so a workflow cannot use what the runner does
// not model.
func (r *wfRunner) eval(ctx map[string]any, src, status string) any {
	src = strings.TrimSpace(src)
	src = strings.TrimSuffix(strings.TrimPrefix(src, "${{"), "}}")
	node, err := actionlint.NewExprParser().Parse(actionlint.NewExprLexer(src + "}}"))
	if err != nil {
		r.t.Fatalf("expression %q: %s", src, err.Message)
	}
	var ev func(n actionlint.ExprNode) any
	ev = func(n actionlint.ExprNode) any {
		switch n := n.(type) {
		case *actionlint.StringNode:
			return n.Value
		case *actionlint.BoolNode:
			return n.Value
		case *actionlint.IntNode:
			return fmt.Sprint(n.Value)
		case *actionlint.NullNode:
			return nil
		case *actionlint.VariableNode:
			v, ok := lookupFold(ctx, n.Name)
			if !ok {
				r.t.Fatalf("expression %q: the runner has no context %q", src, n.Name)
			}
			return v
		case *actionlint.ObjectDerefNode:
			switch m := ev(n.Receiver).(type) {
			case lenient:
				if v, ok := lookupFold(m, n.Property); ok {
					return v
				}
				return lenient(nil) // an unset output or skipped step: empty, as on GitHub
			case map[string]any:
				v, ok := lookupFold(m, n.Property)
				if !ok {
					r.t.Fatalf("expression %q: the runner knows no property %q", src, n.Property)
				}
				return v
			}
			r.t.Fatalf("expression %q: .%s of a non-object", src, n.Property)
		case *actionlint.NotOpNode:
			return !truthy(ev(n.Operand))
		case *actionlint.LogicalOpNode:
			l := ev(n.Left)
			if (n.Kind == actionlint.LogicalOpNodeKindAnd) != truthy(l) {
				return l
			}
			return ev(n.Right)
		case *actionlint.CompareOpNode:
			eq := str(ev(n.Left)) == str(ev(n.Right))
			switch n.Kind {
			case actionlint.CompareOpNodeKindEq:
				return eq
			case actionlint.CompareOpNodeKindNotEq:
				return !eq
			}
		case *actionlint.FuncCallNode:
			switch strings.ToLower(n.Callee) {
			case "always":
				return true
			case "success":
				return status == "success"
			case "failure":
				return status == "failure"
			case "cancelled":
				return false
			}
		}
		r.t.Fatalf("expression %q: the runner cannot evaluate %T", src, n)
		return nil
	}
	return ev(node)
}

// lookupFold looks a property up as GitHub does, ignoring case.
func lookupFold[M ~map[string]any](m M, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// lenient is an object whose missing properties are empty, as outputs
// and the steps context are on GitHub.
type lenient map[string]any

// str is a value as an expression's string.
func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case lenient:
		if v == nil {
			return ""
		}
	}
	return fmt.Sprint(v)
}

func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case lenient:
		return v != nil
	}
	return true
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if fi.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestExampleWorkflowsRun runs the example workflows' steps, as GitHub
// would on the events they are for, against Cloudflare D1 and KV served by
// the workerd harness, with examples/ as the schema: a pull request gets
// one plan comment per environment, edited in place on the next push; the
// merge plans, applies the saved plan and would deploy; the nightly check
// passes, then fails once main is ahead of production; a blocked change
// fails the pull request's job and stops the merge's apply.
func TestExampleWorkflowsRun(t *testing.T) {
	h := cftest.Shared(t)
	acct := h.NewAccount(t)
	h.NewDatabase(t, acct, "nimbus")
	h.NewDatabase(t, acct, "nimbus-staging")

	ws := t.TempDir()
	copyTree(t, filepath.Join(workflowsRoot, ".github"), filepath.Join(ws, ".github"))
	schema := filepath.Join(ws, "schema")
	srcs, _ := filepath.Glob("../../examples/*.dm.hcl")
	for _, src := range srcs {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(schema, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(schema, filepath.Base(src)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ghState := filepath.Join(t.TempDir(), "gh.json")
	r := &wfRunner{
		t: t, workspace: ws,
		contexts: map[string]any{
			"github": map[string]any{
				"token": "ghs_fake", "actor": "reviewer", "repository": "acme/nimbus",
				"event": map[string]any{"pull_request": map[string]any{"number": "7"}},
			},
			"secrets": map[string]any{
				"CLOUDFLARE_API_TOKEN": h.Token, "CLOUDFLARE_API_TOKEN_READ": h.Token,
				"ADMIN_EMAIL": "admin@example.com", "ADMIN_PASSWORD": "correct horse battery staple",
			},
			"vars": map[string]any{"CLOUDFLARE_ACCOUNT_ID": acct},
		},
		// The steps run with jq hidden from PATH: make test needs no jq
		// binary (the fake gh evaluates --jq in process, as gh does).
		env: append(os.Environ(), "PATH="+pathWithout(t, "jq"), "CLOUDFLARE_BASE_URL="+h.BaseURL, "GITHUB_REPOSITORY=acme/nimbus", "FAKE_GH_STATE="+ghState,
			"NO_COLOR=1"),
	}
	defer func() {
		if t.Failed() {
			t.Logf("workflow runs:\n%s", r.log.String())
		}
	}()
	comments := func() map[string]string { // marker -> body
		st, err := readGHState(ghState)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, c := range st.Comments {
			marker, _, _ := strings.Cut(c.Body, "\n")
			if _, dup := out[marker]; dup {
				t.Errorf("two comments start with %s", marker)
			}
			out[marker] = c.Body
		}
		return out
	}
	const (
		stagingMarker    = "<!-- dmplan plan project=nimbus env=staging -->"
		productionMarker = "<!-- dmplan plan project=nimbus env=production -->"
	)

	// The pull request: one comment per environment, each a plan.
	res := r.run("dmplan-plan.yml")
	if res["plan"].result != "success" {
		t.Fatalf("plan workflow: %s", res["plan"].result)
	}
	c := comments()
	if len(c) != 2 || !strings.Contains(c[stagingMarker], "Environment `staging`") || !strings.Contains(c[productionMarker], "Environment `production`") {
		t.Fatalf("comments after the first push: %v", keys(c))
	}
	if !strings.Contains(c[productionMarker], "| `+` | create table | `page_meta` | PAGE |") {
		t.Errorf("production's comment is not its plan:\n%s", c[productionMarker])
	}
	// The next push edits both comments in place.
	r.run("dmplan-plan.yml")
	st, _ := readGHState(ghState)
	if len(st.Comments) != 2 || countPrefix(st.Calls, "PATCH ") != 2 || countPrefix(st.Calls, "POST ") != 2 {
		t.Errorf("after the second push: %d comments, calls %v; want 2 comments, 2 POSTs then 2 PATCHes", len(st.Comments), st.Calls)
	}

	// The merge: plan, apply the saved plan, deploy.
	res = r.run("dmplan-apply.yml")
	if res["plan"].result != "success" || res["plan"].outputs["exitcode"] != "2" || res["apply"].result != "success" || res["deploy"].result != "success" {
		t.Fatalf("apply workflow: plan %s (exit %v), apply %s, deploy %s", res["plan"].result, res["plan"].outputs["exitcode"], res["apply"].result, res["deploy"].result)
	}
	if !strings.Contains(r.log.String(), "Apply complete:") {
		t.Errorf("the apply job did not apply")
	}
	// Merged again with nothing new: no apply, but the deploy runs.
	res = r.run("dmplan-apply.yml")
	if res["plan"].outputs["exitcode"] != "0" || res["apply"].result != "skipped" || res["deploy"].result != "success" {
		t.Errorf("apply workflow with nothing to apply: plan exit %v, apply %s, deploy %s", res["plan"].outputs["exitcode"], res["apply"].result, res["deploy"].result)
	}

	// Nightly: production matches main.
	if res := r.run("dmplan-drift.yml"); res["drift"].result != "success" {
		t.Errorf("drift check right after the apply: %s", res["drift"].result)
	}
	// main moves ahead of production (a merge whose apply was not approved).
	addField(t, filepath.Join(schema, "project.dm.hcl"), `  field "page_count" {`, `  field "color" {
    type = string
  }
  field "page_count" {`, `sync_fields = ["name", "slug", "status", "page_count"]`, `sync_fields = ["name", "slug", "status", "page_count", "color"]`)
	if res := r.run("dmplan-drift.yml"); res["drift"].result != "failure" {
		t.Errorf("drift check with main ahead: %s, want failure", res["drift"].result)
	}
	if !strings.Contains(r.log.String(), "::error::production is behind main") {
		t.Errorf("the drift check did not say production is behind")
	}

	// A blocked change: the pull request's jobs fail, after commenting;
	// the merge applies nothing.
	addField(t, filepath.Join(schema, "project.dm.hcl"), `    type    = integer
    default = 0`, `    type    = string
    default = "0"`)
	res = r.run("dmplan-plan.yml")
	if res["plan"].result != "failure" {
		t.Errorf("plan workflow with a blocked change: %s, want failure", res["plan"].result)
	}
	if c := comments(); !strings.Contains(c[productionMarker], "DM101") {
		t.Errorf("production's comment does not show the blocked change:\n%s", c[productionMarker])
	}
	res = r.run("dmplan-apply.yml")
	if res["plan"].result != "failure" || res["apply"].result != "skipped" || res["deploy"].result != "skipped" {
		t.Errorf("apply workflow with a blocked change: plan %s, apply %s, deploy %s", res["plan"].result, res["apply"].result, res["deploy"].result)
	}
	if testing.Verbose() {
		t.Logf("workflow runs:\n%s", r.log.String())
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func countPrefix(calls []string, prefix string) int {
	n := 0
	for _, c := range calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// addField edits a schema file: each pair of arguments is a replacement.
func addField(t *testing.T, path string, pairs ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("%s has no %q", path, pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pathWithout returns a PATH of one directory holding a symlink to every
// command the current PATH finds, except the named ones, so a test proves
// that it does not need them even on a machine that has them.
func pathWithout(t *testing.T, names ...string) string {
	t.Helper()
	bin := t.TempDir()
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir == "" {
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if seen[e.Name()] {
				continue
			}
			p := filepath.Join(dir, e.Name())
			fi, err := os.Stat(p)
			if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
				continue
			}
			seen[e.Name()] = true
			if err := os.Symlink(p, filepath.Join(bin, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, n := range names {
		if _, err := exec.LookPath(filepath.Join(bin, n)); err == nil {
			t.Fatalf("%s is still on the test's PATH", n)
		}
	}
	return bin
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"strconv"
	"strings"

	"github.com/itchyny/gojq"
)

// fakeGH is the only fake in the example workflows' test: a stand-in for
// the GitHub CLI that keeps pull-request comments in the JSON file
// $FAKE_GH_STATE and records every call, so the test sees what the plan
// workflow would have posted. It serves the calls the workflows make:
//
//	gh api [--paginate] repos/OWNER/REPO/issues/N/comments [--jq EXPR]
//	gh api --method POST repos/OWNER/REPO/issues/N/comments -F body=@FILE
//	gh api --method PATCH repos/OWNER/REPO/issues/comments/ID -F body=@FILE
//
// --jq is evaluated in process with gojq (as gh does; no jq binary).
func fakeGH(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "fake gh: "+format+"\n", a...)
		return 1
	}
	if getenv("GH_TOKEN") == "" {
		return fail("GH_TOKEN is not set (the real gh needs it in a workflow)")
	}
	path := getenv("FAKE_GH_STATE")
	if path == "" {
		return fail("FAKE_GH_STATE is not set")
	}
	if len(args) == 0 || args[0] != "api" {
		return fail("unsupported command %q", args)
	}
	method, endpoint, jq, body := "GET", "", "", ""
	for i := 1; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--paginate":
		case a == "--method" || a == "-X":
			i++
			method = args[i]
		case a == "--jq" || a == "-q":
			i++
			jq = args[i]
		case a == "-F" || a == "-f" || a == "--field" || a == "--raw-field":
			i++
			file, ok := strings.CutPrefix(args[i], "body=@")
			if !ok {
				return fail("unsupported field %q", args[i])
			}
			b, err := os.ReadFile(file)
			if err != nil {
				return fail("%v", err)
			}
			body = string(b)
		case strings.HasPrefix(a, "-"):
			return fail("unsupported flag %q", a)
		default:
			endpoint = a
		}
	}
	st, err := readGHState(path)
	if err != nil {
		return fail("%v", err)
	}
	st.Calls = append(st.Calls, method+" "+endpoint)
	parts := strings.Split(endpoint, "/")
	var out any
	switch {
	case len(parts) == 6 && parts[0] == "repos" && parts[3] == "issues" && parts[5] == "comments":
		issue, err := strconv.Atoi(parts[4])
		if err != nil {
			return fail("bad issue number in %s", endpoint)
		}
		switch method {
		case "GET":
			list := []ghComment{}
			for _, c := range st.Comments {
				if c.Issue == issue {
					list = append(list, c)
				}
			}
			out = list
		case "POST":
			st.NextID++
			c := ghComment{ID: st.NextID, Issue: issue, Body: body}
			st.Comments = append(st.Comments, c)
			out = c
		default:
			return fail("unsupported %s %s", method, endpoint)
		}
	case len(parts) == 6 && parts[0] == "repos" && parts[3] == "issues" && parts[4] == "comments" && method == "PATCH":
		id, err := strconv.Atoi(parts[5])
		if err != nil {
			return fail("bad comment id in %s", endpoint)
		}
		found := false
		for i := range st.Comments {
			if st.Comments[i].ID == id {
				st.Comments[i].Body = body
				out, found = st.Comments[i], true
			}
		}
		if !found {
			return fail("HTTP 404: no comment %d", id)
		}
	default:
		return fail("unsupported %s %s", method, endpoint)
	}
	if err := writeGHState(path, st); err != nil {
		return fail("%v", err)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fail("%v", err)
	}
	if jq == "" {
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	if err := ghJQ(stdout, jq, b); err != nil {
		return fail("--jq: %v", err)
	}
	return 0
}

// ghJQ evaluates a --jq expression over a JSON response in process with
// gojq, the jq implementation gh itself embeds, and prints the results as
// gh does: strings raw, numbers without exponent, null as an empty line,
// anything else as compact JSON, one result per line.
func ghJQ(w io.Writer, expr string, response []byte) error {
	q, err := gojq.Parse(expr)
	if err != nil {
		return err
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return err
	}
	var input any
	if err := json.Unmarshal(response, &input); err != nil {
		return err
	}
	iter := code.Run(input)
	for {
		v, ok := iter.Next()
		if !ok {
			return nil
		}
		if err, ok := v.(error); ok {
			if err, ok := err.(*gojq.HaltError); ok && err.Value() == nil {
				return nil
			}
			return err
		}
		var line string
		switch v := v.(type) {
		case nil:
		case string:
			line = v
		case bool:
			line = strconv.FormatBool(v)
		case int:
			line = strconv.Itoa(v)
		case float64:
			line = strconv.FormatFloat(v, 'f', -1, 64)
		case *big.Int:
			line = v.String()
		default:
			b, err := gojq.Marshal(v)
			if err != nil {
				return err
			}
			line = string(b)
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
}

// ghComment is a pull-request comment as the API returns it (plus the
// issue it is on).
type ghComment struct {
	ID    int    `json:"id"`
	Issue int    `json:"issue"`
	Body  string `json:"body"`
}

// ghState is what the fake remembers between calls.
type ghState struct {
	NextID   int         `json:"next_id"`
	Comments []ghComment `json:"comments"`
	Calls    []string    `json:"calls"`
}

func readGHState(path string) (*ghState, error) {
	var st ghState
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return &st, nil
	}
	if err != nil {
		return nil, err
	}
	return &st, json.Unmarshal(b, &st)
}

func writeGHState(path string, st *ghState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

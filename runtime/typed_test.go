package runtime_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/dmplan/dmplan/runtime"
)

// page is a hand-written struct for model PAGE, with Go types other than
// the generated ones where the runtime accepts them (string timestamps,
// a typed JSON value, int kinds).
type page struct {
	ID            string         `json:"page_id"`
	ProjectID     string         `json:"project_id"`
	URL           string         `json:"url"`
	Title         *string        `json:"title,omitempty"`
	Status        string         `json:"status"`
	Extracted     map[string]int `json:"extracted_data,omitempty"`
	LastProcessed string         `json:"last_processed,omitempty"`
	CreatedAt     time.Time      `json:"created_at"`
	Ignored       string         `json:"-"`
}

// TestTypedMismatch: Typed names every struct field that is not a field
// of the model or cannot hold its values, and refuses a non-struct type
// and an unknown model.
func TestTypedMismatch(t *testing.T) {
	e := setup(t)
	type bad struct {
		Title  int               `json:"title"`
		URL    []string          `json:"url"`
		Nope   string            `json:"nope"`
		Status string            `json:"status"`
		Last   bool              `json:"last_processed"`
		Data   json.RawMessage   `json:"extracted_data"`
		Other  map[string]string // no tag: its Go name, not a field
	}
	_, err := runtime.Typed[bad](e.ds.System(), "PAGE")
	if !errors.Is(err, runtime.ErrInvalid) {
		t.Fatalf("error %v, want ErrInvalid", err)
	}
	want := "runtime: invalid: typed model PAGE: bad.Title is int, which cannot hold string field title; " +
		"bad.URL is []string, which cannot hold string field url; bad.Nope (json \"nope\") is not a field of PAGE; " +
		"bad.Last is bool, which cannot hold timestamp field last_processed; bad.Other (json \"Other\") is not a field of PAGE"
	if err.Error() != want {
		t.Errorf("error\n got %s\nwant %s", err, want)
	}
	type Base struct {
		URL string `json:"url"`
	}
	type Inner struct {
		Heading string `json:"title"`
	}
	type embedded struct {
		*Base
		Inner
		Link  string `json:"url"`
		Title string `json:"title"`
	}
	_, err = runtime.Typed[embedded](e.ds.System(), "PAGE")
	want = "runtime: invalid: typed model PAGE: embedded.URL is promoted through an embedded pointer; embed the struct itself; " +
		"embedded.Heading and embedded.Title both name field title"
	if err == nil || err.Error() != want {
		t.Errorf("error\n got %v\nwant %s", err, want)
	}
	if _, err := runtime.Typed[string](e.ds.System(), "PAGE"); !errors.Is(err, runtime.ErrInvalid) {
		t.Errorf("non-struct: %v", err)
	}
	if _, err := runtime.Typed[page](e.ds.System(), "PAGES"); !errors.Is(err, runtime.ErrUnknownModel) {
		t.Errorf("unknown model: %v", err)
	}
}

// TestTypedOtherGoTypes: a hand-written struct with a string timestamp and
// a typed JSON value round-trips, and a stored value the Go type cannot
// hold is an error naming the field, not a zero value.
func TestTypedOtherGoTypes(t *testing.T) {
	e := setup(t)
	pages, err := runtime.Typed[page](e.ds.Auth("u1"), "PAGE")
	if err != nil {
		t.Fatal(err)
	}
	got, err := pages.Create(e.ctx, &page{
		ProjectID: "p1", URL: "https://example.com", Status: "completed",
		Extracted: map[string]int{"links": 3}, LastProcessed: "2026-01-01T12:00:05+02:00",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID == "" || got.Extracted["links"] != 3 || got.LastProcessed != "2026-01-01T10:00:05.000Z" || got.Title != nil {
		t.Fatalf("created %+v", got)
	}
	// A value another writer stored that the struct cannot hold.
	if _, err := e.ds.System().Update(e.ctx, "PAGE", got.ID, map[string]any{"extracted_data": map[string]any{"links": "many"}}); err != nil {
		t.Fatal(err)
	}
	_, err = pages.Get(e.ctx, got.ID)
	if !errors.Is(err, runtime.ErrInvalid) || err.Error() != "runtime: invalid: decode PAGE "+got.ID+
		": extracted_data: stored value does not fit map[string]int: json: cannot unmarshal string into Go value of type int" {
		t.Errorf("decode error: %v", err)
	}
}

package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"
)

// TimeFormat is how occurred_at is written: UTC ISO-8601 with milliseconds,
// e.g. 2026-11-27T14:50:08.123Z (the same form as stored timestamps).
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Delivery is one webhook to send. URL and Secret are used but never
// logged; the URL is logged as scheme and host only, and not at all when
// SensitiveURL is set.
type Delivery struct {
	// ID is the X-Dmplan-Delivery header, the same on every attempt so a
	// receiver can drop duplicates. Empty means a new random UUID.
	ID     string
	URL    string // http or https
	Secret string // empty: unsigned
	// SensitiveURL is set when the URL came from env.X: then not even its
	// host appears in logs or errors.
	SensitiveURL bool

	Event    string         // the payload's event and X-Dmplan-Event, e.g. "page.completed"
	Model    string         // e.g. "PAGE"
	RecordID string         // the payload's id
	Data     any            // the payload's data: the record or the hook's body
	Changes  map[string]any // the changed fields with their new values
	// OccurredAt is when the triggering operation happened; zero means
	// when Send was called.
	OccurredAt time.Time
}

// Payload is the JSON body of every delivery.
type Payload struct {
	Event      string         `json:"event"`
	Model      string         `json:"model"`
	ID         string         `json:"id"`
	Data       any            `json:"data"`
	Changes    map[string]any `json:"changes"`
	OccurredAt string         `json:"occurred_at"` // TimeFormat
}

// errBadURL never holds the URL, which may be secret.
var errBadURL = errors.New("webhook: url must be an absolute http or https URL")

// parseURL parses an absolute http or https URL; the error never holds it.
func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errBadURL
	}
	return u, nil
}

// job is a validated, encoded delivery waiting in the queue.
type job struct {
	id        string
	url       string
	redacted  string // scheme://host, or "" when the URL is sensitive
	secret    string
	event     string
	model     string
	recordID  string
	body      []byte
	sensitive bool
}

// prepare validates d and encodes its payload. Errors never hold the URL,
// the secret or the data.
func prepare(d Delivery, now time.Time) (*job, error) {
	u, err := parseURL(d.URL)
	if err != nil {
		return nil, err
	}
	occurred := d.OccurredAt
	if occurred.IsZero() {
		occurred = now
	}
	changes := d.Changes
	if changes == nil {
		changes = map[string]any{}
	}
	body, err := json.Marshal(Payload{
		Event:      d.Event,
		Model:      d.Model,
		ID:         d.RecordID,
		Data:       d.Data,
		Changes:    changes,
		OccurredAt: occurred.UTC().Format(TimeFormat),
	})
	if err != nil {
		// Only the type error is safe to show: others can quote values.
		var te *json.UnsupportedTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("encode webhook payload: %w", err)
		}
		return nil, errors.New("encode webhook payload: data is not JSON-encodable (NaN, infinity or a failing MarshalJSON)")
	}
	id := d.ID
	if id == "" {
		id = uuid.NewString()
	}
	j := &job{
		id:        id,
		url:       d.URL,
		secret:    d.Secret,
		event:     d.Event,
		model:     d.Model,
		recordID:  d.RecordID,
		body:      body,
		sensitive: d.SensitiveURL,
	}
	if !d.SensitiveURL {
		j.redacted = u.Scheme + "://" + u.Host
	}
	return j, nil
}

// attrs are the slog attributes every log line of the job carries.
func (j *job) attrs() []any {
	a := []any{"delivery", j.id, "event", j.event, "model", j.model, "id", j.recordID}
	if j.sensitive {
		return append(a, "url", "[sensitive]")
	}
	return append(a, "url", j.redacted)
}

// Package dragons is the domain of the dragons application: the stored
// dragon record (in the original course's format), the POST /dragons body,
// its validation against the JSON Schema in schemas/, name uniqueness, list
// filters, the workflow input and the execution status record.
//
// It holds pure logic only: it does not read or write S3 (package
// dragons/catalog does), speak HTTP or know about Lambda.
package dragons

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Record is a stored dragon in the course format. Dragons.json is a JSON
// array of these, and GET /dragons serves them unchanged.
type Record struct {
	DragonName   string `json:"dragon_name_str"`
	Family       string `json:"family_str"`
	Description  string `json:"description_str"`
	City         string `json:"location_city_str"`
	State        string `json:"location_state_str"`
	Country      string `json:"location_country_str"`
	Neighborhood string `json:"location_neighborhood_str"`
}

// StoredRecord is one element of the catalog file, Dragons.json: a record
// in the course format plus, for records added by an add-dragon execution,
// the id of that execution in the extra field execution_id_str. The id makes
// a re-run of the same execution recognise its own record (adds are
// idempotent per execution) and is never served by GET /dragons. Course-format
// files without the field load unchanged.
type StoredRecord struct {
	Record
	ExecutionID string `json:"execution_id_str,omitempty"`
}

// DecodeCatalog parses the catalog file: a JSON array of stored records. It
// is strict: unknown or repeated fields, a document that is not an array and
// non-string values are errors, so that a file this package cannot fully represent is
// never silently rewritten.
func DecodeCatalog(data []byte) ([]StoredRecord, error) {
	var stored []StoredRecord
	if err := decodeStrict(data, &stored); err != nil {
		return nil, fmt.Errorf("decode dragon catalog: %w", err)
	}
	if stored == nil {
		return nil, fmt.Errorf("decode dragon catalog: want a JSON array, got %.20q", bytes.TrimSpace(data))
	}
	if dups := duplicateKeys(data); len(dups) > 0 {
		return nil, fmt.Errorf("decode dragon catalog: %s %s", dups[0].Path, dups[0].Message)
	}
	return stored, nil
}

// DecodeRecords parses a JSON array of course-format records, such as the
// course's dataset or the catalog file (dropping the execution ids), with the
// same strictness as DecodeCatalog.
func DecodeRecords(data []byte) ([]Record, error) {
	stored, err := DecodeCatalog(data)
	if err != nil {
		return nil, err
	}
	return Records(stored), nil
}

// Records returns the course-format records of stored records, in order. It
// never returns nil.
func Records(stored []StoredRecord) []Record {
	out := make([]Record, len(stored))
	for i, s := range stored {
		out[i] = s.Record
	}
	return out
}

// decodeStrict decodes exactly one JSON value into v, refusing unknown
// fields and trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}

// Submission is the body of POST /dragons, in the course's camelCase shape.
// Obtain one with Validator.ParseSubmission, which enforces the schema.
type Submission struct {
	DragonName           string `json:"dragonName"`
	Family               string `json:"family"`
	Description          string `json:"description,omitempty"`
	City                 string `json:"city,omitempty"`
	State                string `json:"state,omitempty"`
	Country              string `json:"country,omitempty"`
	Neighborhood         string `json:"neighborhood,omitempty"`
	ReportingPhoneNumber string `json:"reportingPhoneNumber,omitempty"`
	ConfirmationRequired *bool  `json:"confirmationRequired,omitempty"`
}

// Record converts a submission to the record that is stored, with
// surrounding white space removed from every field.
func (s Submission) Record() Record {
	t := strings.TrimSpace
	return Record{
		DragonName:   t(s.DragonName),
		Family:       t(s.Family),
		Description:  t(s.Description),
		City:         t(s.City),
		State:        t(s.State),
		Country:      t(s.Country),
		Neighborhood: t(s.Neighborhood),
	}
}

// NameKey returns the identity of a dragon name: two names with the same key
// are the same dragon. Surrounding white space is ignored, the text is put in
// Unicode normal form C, and case is folded ("Ember", " ember " and "EMBER"
// are one dragon; so are a precomposed and a decomposed "é").
func NameKey(name string) string {
	return cases.Fold().String(norm.NFC.String(strings.TrimSpace(name)))
}

// SameName reports whether two dragon names are the same name.
func SameName(a, b string) bool { return NameKey(a) == NameKey(b) }

// Filter selects records for GET /dragons. Empty fields do not filter; set
// fields must all match. Both compare like names do (NameKey), so filters are
// plain string comparisons, safe for quotes and any other character.
type Filter struct {
	DragonName string
	Family     string
}

// Match reports whether r passes the filter.
func (f Filter) Match(r Record) bool {
	if f.DragonName != "" && !SameName(f.DragonName, r.DragonName) {
		return false
	}
	if f.Family != "" && !SameName(f.Family, r.Family) {
		return false
	}
	return true
}

// Apply returns the records that pass the filter, in order. It never returns
// nil, so the result encodes as a JSON array.
func (f Filter) Apply(records []Record) []Record {
	out := make([]Record, 0, len(records))
	for _, r := range records {
		if f.Match(r) {
			out = append(out, r)
		}
	}
	return out
}

// WorkflowInput is the input of an add-dragon execution, written by
// submitDragon and read by the validateDragon and addDragon tasks. Dragon is
// kept raw so that every task validates it against the schema itself.
type WorkflowInput struct {
	ExecutionID string          `json:"executionId"`
	SubmittedAt time.Time       `json:"submittedAt"`
	Dragon      json.RawMessage `json:"dragon"`
}

// Status is the state of an add-dragon execution as clients see it.
type Status string

// The statuses of an execution.
const (
	StatusAccepted  Status = "ACCEPTED"
	StatusSucceeded Status = "SUCCEEDED"
	StatusRejected  Status = "REJECTED"
	StatusFailed    Status = "FAILED"
)

// Execution is the status record stored as executions/{executionId}.json.
// Times are RFC 3339 strings kept as written (the workflow writes some of
// them), so a record is served exactly as stored; use FormatTime to make one.
type Execution struct {
	ExecutionID  string  `json:"executionId"`
	ExecutionArn string  `json:"executionArn"`
	Status       Status  `json:"status"`
	StartDate    string  `json:"startDate"`
	UpdatedAt    string  `json:"updatedAt"`
	Dragon       *Record `json:"dragon,omitempty"`
	Error        string  `json:"error,omitempty"`
	Cause        string  `json:"cause,omitempty"`
}

// FormatTime formats t as the application writes times: RFC 3339 in UTC
// with milliseconds, like Step Functions' own timestamps.
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// ExecutionKey is the S3 key of an execution's status record.
func ExecutionKey(executionID string) string { return "executions/" + executionID + ".json" }

// ValidExecutionID reports whether id is an execution id as submitDragon
// makes them: a UUID in canonical lower-case form. Only such ids are used
// in S3 keys.
func ValidExecutionID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}

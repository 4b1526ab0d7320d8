package stepfunctions

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/dragons-dev/dragons/local/asl"
)

// execLogger writes one execution's history events to CloudWatch Logs in
// Step Functions' log record shape, filtered by the machine's log level.
type execLogger struct {
	sink    LogSink
	group   string
	stream  string
	level   string
	data    bool
	execARN string
}

func newExecLogger(sink LogSink, group string, m *machine, execARN string, start time.Time) *execLogger {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &execLogger{
		sink: sink, group: group, level: m.Logging.Level, data: m.Logging.IncludeExecutionData, execARN: execARN,
		stream: "states/" + m.Name + "/" + start.UTC().Format("2006-01-02-15-04") + "/" + hex.EncodeToString(b[:]),
	}
}

// logged reports whether an event of type typ is logged at level.
func logged(level, typ string) bool {
	switch level {
	case "ALL":
		return true
	case "ERROR":
		return typ == "FailStateEntered" || strings.HasSuffix(typ, "Failed") || strings.HasSuffix(typ, "TimedOut") || strings.HasSuffix(typ, "Aborted")
	case "FATAL":
		return typ == "ExecutionFailed" || typ == "ExecutionAborted" || typ == "ExecutionTimedOut"
	}
	return false
}

// logRecord is a Step Functions execution log record. Numbers are strings,
// as Step Functions writes them.
type logRecord struct {
	ID              string         `json:"id"`
	Type            string         `json:"type"`
	Details         map[string]any `json:"details"`
	PreviousEventID string         `json:"previous_event_id"`
	EventTimestamp  string         `json:"event_timestamp"`
	ExecutionArn    string         `json:"execution_arn"`
	RedriveCount    string         `json:"redrive_count"`
}

func (l *execLogger) event(e asl.Event) {
	if !logged(l.level, e.Type) {
		return
	}
	rec := logRecord{
		ID: strconv.FormatInt(e.ID, 10), Type: e.Type, Details: eventDetails(e, l.data),
		PreviousEventID: strconv.FormatInt(e.PreviousEventID, 10),
		EventTimestamp:  strconv.FormatInt(e.Timestamp.UnixMilli(), 10),
		ExecutionArn:    l.execARN, RedriveCount: "0",
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return
	}
	l.sink.AppendLog(l.group, l.stream, e.Timestamp, string(b))
}

// eventDetails returns the event's details object, without inputs, outputs
// and parameters unless data is set.
func eventDetails(e asl.Event, data bool) map[string]any {
	b, err := json.Marshal(e)
	if err != nil {
		return map[string]any{}
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return map[string]any{}
	}
	for k, v := range m {
		d, ok := v.(map[string]any)
		if !ok || !strings.HasSuffix(k, "EventDetails") {
			continue
		}
		if !data {
			for _, f := range dataFields {
				delete(d, f)
			}
		}
		return d
	}
	return map[string]any{}
}

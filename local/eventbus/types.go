package eventbus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Timestamp is a time in the JSON protocol's encoding: seconds since the epoch as
// a JSON number. Strings in RFC 3339 form are accepted on input too.
type Timestamp time.Time

// NewTimestamp returns a pointer to t as a Timestamp.
func NewTimestamp(t time.Time) *Timestamp {
	ts := Timestamp(t)
	return &ts
}

// Time returns the timestamp as a time.Time (the zero time for nil).
func (t *Timestamp) Time() time.Time {
	if t == nil {
		return time.Time{}
	}
	return time.Time(*t)
}

// MarshalJSON implements json.Marshaler.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if v, err := parseEpoch(s); err == nil {
			*t = Timestamp(v)
			return nil
		}
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("timestamp %q: %w", s, err)
		}
		*t = Timestamp(v)
		return nil
	}
	v, err := parseEpoch(string(b))
	if err != nil {
		return fmt.Errorf("timestamp %s: %w", b, err)
	}
	*t = Timestamp(v)
	return nil
}

func fromEpoch(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC()
}

// parseEpoch reads seconds since the epoch, exactly when written as a plain
// decimal and through float64 otherwise.
func parseEpoch(s string) (time.Time, error) {
	whole, frac, hasFrac := strings.Cut(s, ".")
	if sec, err := strconv.ParseInt(whole, 10, 64); err == nil && (!hasFrac || isDigits(frac)) && frac != "-" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		ns := int64(0)
		if frac != "" {
			ns, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		}
		if strings.HasPrefix(whole, "-") {
			ns = -ns
		}
		return time.Unix(sec, ns).UTC(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}, err
	}
	return fromEpoch(f), nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Tag is a resource tag.
type Tag struct {
	Key   string
	Value string
}

// DeadLetterConfig names the SQS queue that receives undeliverable events.
type DeadLetterConfig struct {
	Arn string `json:",omitempty"`
}

// RetryPolicy bounds the retries of a target's deliveries.
type RetryPolicy struct {
	MaximumRetryAttempts     *int `json:",omitempty"`
	MaximumEventAgeInSeconds *int `json:",omitempty"`
}

// InputTransformer builds a target's input from values taken out of the event.
type InputTransformer struct {
	InputPathsMap map[string]string `json:",omitempty"`
	InputTemplate string
}

// SqsParameters are the SQS-specific settings of a target.
type SqsParameters struct {
	MessageGroupId string `json:",omitempty"`
}

// Target is where a rule sends matching events.
type Target struct {
	Id               string
	Arn              string
	RoleArn          string            `json:",omitempty"`
	Input            string            `json:",omitempty"`
	InputPath        string            `json:",omitempty"`
	InputTransformer *InputTransformer `json:",omitempty"`
	RetryPolicy      *RetryPolicy      `json:",omitempty"`
	DeadLetterConfig *DeadLetterConfig `json:",omitempty"`
	SqsParameters    *SqsParameters    `json:",omitempty"`
}

// CreateEventBusInput is the input of CreateEventBus.
type CreateEventBusInput struct {
	Name             string
	EventSourceName  string `json:",omitempty"`
	Description      string `json:",omitempty"`
	KmsKeyIdentifier string `json:",omitempty"`
	DeadLetterConfig *DeadLetterConfig
	Tags             []Tag
}

// CreateEventBusOutput is the output of CreateEventBus.
type CreateEventBusOutput struct {
	EventBusArn      string            `json:",omitempty"`
	Description      string            `json:",omitempty"`
	KmsKeyIdentifier string            `json:",omitempty"`
	DeadLetterConfig *DeadLetterConfig `json:",omitempty"`
}

// EventBus describes an event bus.
type EventBus struct {
	Name             string
	Arn              string
	Description      string     `json:",omitempty"`
	Policy           string     `json:",omitempty"`
	CreationTime     *Timestamp `json:",omitempty"`
	LastModifiedTime *Timestamp `json:",omitempty"`
}

// DescribeEventBusInput is the input of DescribeEventBus. An empty Name means the
// default bus; a bus ARN is accepted too.
type DescribeEventBusInput struct {
	Name string `json:",omitempty"`
}

// DescribeEventBusOutput is the output of DescribeEventBus.
type DescribeEventBusOutput struct {
	Name             string
	Arn              string
	Description      string            `json:",omitempty"`
	Policy           string            `json:",omitempty"`
	KmsKeyIdentifier string            `json:",omitempty"`
	DeadLetterConfig *DeadLetterConfig `json:",omitempty"`
	CreationTime     *Timestamp        `json:",omitempty"`
	LastModifiedTime *Timestamp        `json:",omitempty"`
}

// ListEventBusesInput is the input of ListEventBuses.
type ListEventBusesInput struct {
	NamePrefix string `json:",omitempty"`
	NextToken  string `json:",omitempty"`
	Limit      int    `json:",omitempty"`
}

// ListEventBusesOutput is the output of ListEventBuses.
type ListEventBusesOutput struct {
	EventBuses []EventBus
	NextToken  string `json:",omitempty"`
}

// DeleteEventBusInput is the input of DeleteEventBus.
type DeleteEventBusInput struct {
	Name string
}

// PutRuleInput is the input of PutRule.
type PutRuleInput struct {
	Name               string
	ScheduleExpression string `json:",omitempty"`
	EventPattern       string `json:",omitempty"`
	State              string `json:",omitempty"`
	Description        string `json:",omitempty"`
	RoleArn            string `json:",omitempty"`
	Tags               []Tag  `json:",omitempty"`
	EventBusName       string `json:",omitempty"`
}

// PutRuleOutput is the output of PutRule.
type PutRuleOutput struct {
	RuleArn string
}

// RuleRef names a rule on a bus (the input of DescribeRule, EnableRule, DisableRule
// and DeleteRule).
type RuleRef struct {
	Name         string
	EventBusName string `json:",omitempty"`
	Force        bool   `json:",omitempty"`
}

// Rule describes a rule.
type Rule struct {
	Name               string
	Arn                string
	EventPattern       string `json:",omitempty"`
	ScheduleExpression string `json:",omitempty"`
	State              string
	Description        string `json:",omitempty"`
	RoleArn            string `json:",omitempty"`
	ManagedBy          string `json:",omitempty"`
	EventBusName       string
}

// ListRulesInput is the input of ListRules.
type ListRulesInput struct {
	NamePrefix   string `json:",omitempty"`
	EventBusName string `json:",omitempty"`
	NextToken    string `json:",omitempty"`
	Limit        int    `json:",omitempty"`
}

// ListRulesOutput is the output of ListRules.
type ListRulesOutput struct {
	Rules     []Rule
	NextToken string `json:",omitempty"`
}

// PutTargetsInput is the input of PutTargets.
type PutTargetsInput struct {
	Rule         string
	EventBusName string `json:",omitempty"`
	Targets      []Target
}

// FailedEntry reports a target PutTargets or RemoveTargets could not handle.
type FailedEntry struct {
	TargetId     string
	ErrorCode    string
	ErrorMessage string
}

// PutTargetsOutput is the output of PutTargets.
type PutTargetsOutput struct {
	FailedEntryCount int
	FailedEntries    []FailedEntry
}

// ListTargetsByRuleInput is the input of ListTargetsByRule.
type ListTargetsByRuleInput struct {
	Rule         string
	EventBusName string `json:",omitempty"`
	NextToken    string `json:",omitempty"`
	Limit        int    `json:",omitempty"`
}

// ListTargetsByRuleOutput is the output of ListTargetsByRule.
type ListTargetsByRuleOutput struct {
	Targets   []Target
	NextToken string `json:",omitempty"`
}

// RemoveTargetsInput is the input of RemoveTargets.
type RemoveTargetsInput struct {
	Rule         string
	EventBusName string `json:",omitempty"`
	Ids          []string
	Force        bool `json:",omitempty"`
}

// RemoveTargetsOutput is the output of RemoveTargets.
type RemoveTargetsOutput struct {
	FailedEntryCount int
	FailedEntries    []FailedEntry
}

// TestEventPatternInput is the input of TestEventPattern.
type TestEventPatternInput struct {
	EventPattern string
	Event        string
}

// TestEventPatternOutput is the output of TestEventPattern.
type TestEventPatternOutput struct {
	Result bool
}

// PutEventsRequestEntry is one event of a PutEvents call.
type PutEventsRequestEntry struct {
	Time         *Timestamp `json:",omitempty"`
	Source       string     `json:",omitempty"`
	Resources    []string   `json:",omitempty"`
	DetailType   string     `json:",omitempty"`
	Detail       string     `json:",omitempty"`
	EventBusName string     `json:",omitempty"`
	TraceHeader  string     `json:",omitempty"`
}

// PutEventsInput is the input of PutEvents.
type PutEventsInput struct {
	Entries    []PutEventsRequestEntry
	EndpointId string `json:",omitempty"`
}

// PutEventsResultEntry is the result for one entry: an EventId, or an error.
type PutEventsResultEntry struct {
	EventId      string `json:",omitempty"`
	ErrorCode    string `json:",omitempty"`
	ErrorMessage string `json:",omitempty"`
}

// PutEventsOutput is the output of PutEvents.
type PutEventsOutput struct {
	FailedEntryCount int
	Entries          []PutEventsResultEntry
}

// CreateArchiveInput is the input of CreateArchive.
type CreateArchiveInput struct {
	ArchiveName      string
	EventSourceArn   string
	Description      string `json:",omitempty"`
	EventPattern     string `json:",omitempty"`
	RetentionDays    int    `json:",omitempty"`
	KmsKeyIdentifier string `json:",omitempty"`
}

// CreateArchiveOutput is the output of CreateArchive.
type CreateArchiveOutput struct {
	ArchiveArn   string
	State        string
	StateReason  string     `json:",omitempty"`
	CreationTime *Timestamp `json:",omitempty"`
}

// ArchiveRef names an archive (the input of DescribeArchive and DeleteArchive).
type ArchiveRef struct {
	ArchiveName string
}

// DescribeArchiveOutput is the output of DescribeArchive.
type DescribeArchiveOutput struct {
	ArchiveArn     string
	ArchiveName    string
	EventSourceArn string
	Description    string `json:",omitempty"`
	EventPattern   string `json:",omitempty"`
	State          string
	StateReason    string `json:",omitempty"`
	RetentionDays  int
	SizeBytes      int64
	EventCount     int64
	CreationTime   *Timestamp `json:",omitempty"`
}

// Archive summarises an archive in ListArchives.
type Archive struct {
	ArchiveName    string
	EventSourceArn string
	State          string
	StateReason    string `json:",omitempty"`
	RetentionDays  int
	SizeBytes      int64
	EventCount     int64
	CreationTime   *Timestamp `json:",omitempty"`
}

// ListArchivesInput is the input of ListArchives.
type ListArchivesInput struct {
	NamePrefix     string `json:",omitempty"`
	EventSourceArn string `json:",omitempty"`
	State          string `json:",omitempty"`
	NextToken      string `json:",omitempty"`
	Limit          int    `json:",omitempty"`
}

// ListArchivesOutput is the output of ListArchives.
type ListArchivesOutput struct {
	Archives  []Archive
	NextToken string `json:",omitempty"`
}

// ReplayDestination says where a replay sends events: a bus, optionally only to
// some of its rules.
type ReplayDestination struct {
	Arn        string
	FilterArns []string `json:",omitempty"`
}

// StartReplayInput is the input of StartReplay.
type StartReplayInput struct {
	ReplayName     string
	Description    string `json:",omitempty"`
	EventSourceArn string
	EventStartTime *Timestamp
	EventEndTime   *Timestamp
	Destination    *ReplayDestination
}

// StartReplayOutput is the output of StartReplay.
type StartReplayOutput struct {
	ReplayArn       string
	State           string
	StateReason     string     `json:",omitempty"`
	ReplayStartTime *Timestamp `json:",omitempty"`
}

// ReplayRef names a replay (the input of DescribeReplay).
type ReplayRef struct {
	ReplayName string
}

// DescribeReplayOutput is the output of DescribeReplay.
type DescribeReplayOutput struct {
	ReplayName            string
	ReplayArn             string
	Description           string `json:",omitempty"`
	State                 string
	StateReason           string `json:",omitempty"`
	EventSourceArn        string
	Destination           *ReplayDestination
	EventStartTime        *Timestamp `json:",omitempty"`
	EventEndTime          *Timestamp `json:",omitempty"`
	EventLastReplayedTime *Timestamp `json:",omitempty"`
	ReplayStartTime       *Timestamp `json:",omitempty"`
	ReplayEndTime         *Timestamp `json:",omitempty"`
}

// Replay summarises a replay in ListReplays.
type Replay struct {
	ReplayName            string
	EventSourceArn        string
	State                 string
	StateReason           string     `json:",omitempty"`
	EventStartTime        *Timestamp `json:",omitempty"`
	EventEndTime          *Timestamp `json:",omitempty"`
	EventLastReplayedTime *Timestamp `json:",omitempty"`
	ReplayStartTime       *Timestamp `json:",omitempty"`
	ReplayEndTime         *Timestamp `json:",omitempty"`
}

// ListReplaysInput is the input of ListReplays.
type ListReplaysInput struct {
	NamePrefix     string `json:",omitempty"`
	EventSourceArn string `json:",omitempty"`
	State          string `json:",omitempty"`
	NextToken      string `json:",omitempty"`
	Limit          int    `json:",omitempty"`
}

// ListReplaysOutput is the output of ListReplays.
type ListReplaysOutput struct {
	Replays   []Replay
	NextToken string `json:",omitempty"`
}

// Empty is the output of operations that return nothing.
type Empty struct{}

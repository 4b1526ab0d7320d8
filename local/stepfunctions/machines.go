package stepfunctions

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/dragons-dev/dragons/local/asl"
	"github.com/google/uuid"
)

// Machine types.
const (
	TypeStandard = "STANDARD"
	TypeExpress  = "EXPRESS"
)

// machine is one revision of a state machine. It is immutable once stored:
// an update stores a new revision, so running executions keep theirs. It is
// also the on-disk record.
type machine struct {
	Name       string        `json:"name"`
	ARN        string        `json:"arn"`
	Type       string        `json:"type"`
	Definition string        `json:"definition"`
	RoleARN    string        `json:"roleArn"`
	Logging    LoggingConfig `json:"logging"`
	Tracing    TracingConfig `json:"tracing"`
	Tags       []Tag         `json:"tags,omitempty"`
	Created    time.Time     `json:"created"`
	Updated    time.Time     `json:"updated"`
	RevisionID string        `json:"revisionId"`
	Desc       string        `json:"description,omitempty"`
	sm         *asl.StateMachine
	timeout    time.Duration // the definition's TimeoutSeconds (0 = none)
}

// LoggingConfig is a state machine's loggingConfiguration.
type LoggingConfig struct {
	Level                string           `json:"level,omitempty"`
	IncludeExecutionData bool             `json:"includeExecutionData"`
	Destinations         []LogDestination `json:"destinations,omitempty"`
}

// LogDestination names a CloudWatch Logs group.
type LogDestination struct {
	CloudWatchLogsLogGroup *struct {
		LogGroupArn string `json:"logGroupArn"`
	} `json:"cloudWatchLogsLogGroup,omitempty"`
}

// TracingConfig is a state machine's tracingConfiguration.
type TracingConfig struct {
	Enabled bool `json:"enabled"`
}

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// logGroup returns the destination log group name ("" when logging is off).
func (m *machine) logGroup() string {
	if m.Logging.Level == "" || m.Logging.Level == "OFF" || len(m.Logging.Destinations) == 0 || m.Logging.Destinations[0].CloudWatchLogsLogGroup == nil {
		return ""
	}
	name, _ := logGroupName(m.Logging.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn)
	return name
}

// logGroupName extracts the group name of arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*].
func logGroupName(arn string) (string, bool) {
	parts := strings.Split(arn, ":")
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "logs" || parts[5] != "log-group" || parts[6] == "" {
		return "", false
	}
	if len(parts) > 8 || (len(parts) == 8 && parts[7] != "*") {
		return "", false
	}
	return parts[6], true
}

// normalizeLogging validates a logging configuration and fills its defaults.
func normalizeLogging(in *LoggingConfig) (LoggingConfig, error) {
	if in == nil {
		return LoggingConfig{Level: "OFF"}, nil
	}
	out := *in
	if out.Level == "" {
		out.Level = "OFF"
	}
	switch out.Level {
	case "ALL", "ERROR", "FATAL", "OFF":
	default:
		return out, errValidation("1 validation error detected: Value '%s' at 'loggingConfiguration.level' failed to satisfy constraint: Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]", out.Level)
	}
	if len(out.Destinations) > 1 {
		return out, apiErr("InvalidLoggingConfiguration", "Invalid Logging Configuration: Must specify exactly one Log Destination.")
	}
	if out.Level != "OFF" && len(out.Destinations) == 0 {
		return out, apiErr("InvalidLoggingConfiguration", "Invalid Logging Configuration: Must specify exactly one Log Destination.")
	}
	for _, d := range out.Destinations {
		if d.CloudWatchLogsLogGroup == nil {
			return out, apiErr("InvalidLoggingConfiguration", "Invalid Logging Configuration: Must specify a CloudWatch Logs log group.")
		}
		if _, ok := logGroupName(d.CloudWatchLogsLogGroup.LogGroupArn); !ok {
			return out, apiErr("InvalidLoggingConfiguration", "Invalid Logging Configuration: Log Destination not in correct format: '%s'", d.CloudWatchLogsLogGroup.LogGroupArn)
		}
	}
	return out, nil
}

// parseDefinition validates a definition for a machine type, reporting the
// engine's problems as InvalidDefinition.
func parseDefinition(def, typ string) (*asl.StateMachine, error) {
	t := asl.Standard
	if typ == TypeExpress {
		t = asl.Express
	}
	sm, err := asl.Parse([]byte(def), asl.WithType(t))
	if err != nil {
		var de *asl.DefinitionError
		if errors.As(err, &de) {
			return nil, apiErr("InvalidDefinition", "%s", de.Error())
		}
		return nil, apiErr("InvalidDefinition", "Invalid State Machine Definition: '%v'", err)
	}
	return sm, nil
}

// definitionTimeout returns a valid definition's top-level TimeoutSeconds.
func definitionTimeout(def string) time.Duration {
	var d struct {
		TimeoutSeconds float64
	}
	if json.Unmarshal([]byte(def), &d) != nil || d.TimeoutSeconds <= 0 {
		return 0
	}
	return time.Duration(d.TimeoutSeconds * float64(time.Second))
}

// ---- CreateStateMachine ----

// CreateStateMachineInput is the request of CreateStateMachine.
type CreateStateMachineInput struct {
	Name                 string         `json:"name"`
	Definition           string         `json:"definition"`
	RoleArn              string         `json:"roleArn"`
	Type                 string         `json:"type"`
	LoggingConfiguration *LoggingConfig `json:"loggingConfiguration"`
	TracingConfiguration *TracingConfig `json:"tracingConfiguration"`
	Tags                 []Tag          `json:"tags"`
	Publish              bool           `json:"publish"`
	VersionDescription   string         `json:"versionDescription"`
}

// CreateStateMachineOutput is the response of CreateStateMachine.
type CreateStateMachineOutput struct {
	StateMachineArn string `json:"stateMachineArn"`
	CreationDate    epoch  `json:"creationDate"`
}

// CreateStateMachine creates a state machine. Creating one that exists with
// the same definition, type, logging and tracing returns the existing one;
// anything else with the same name is StateMachineAlreadyExists.
func (s *Service) CreateStateMachine(_ context.Context, in *CreateStateMachineInput) (*CreateStateMachineOutput, error) {
	if in.Name == "" || in.Definition == "" || in.RoleArn == "" {
		return nil, errValidation("1 validation error detected: name, definition and roleArn are required")
	}
	if !validName(in.Name) {
		return nil, apiErr("InvalidName", "Invalid Name: '%s'", in.Name)
	}
	if in.Publish || in.VersionDescription != "" {
		return nil, errValidation("state machine versions are not supported by the local Step Functions")
	}
	typ := in.Type
	if typ == "" {
		typ = TypeStandard
	}
	if typ != TypeStandard && typ != TypeExpress {
		return nil, errValidation("1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", in.Type)
	}
	logging, err := normalizeLogging(in.LoggingConfiguration)
	if err != nil {
		return nil, err
	}
	var tracing TracingConfig
	if in.TracingConfiguration != nil {
		tracing = *in.TracingConfiguration
	}
	sm, err := parseDefinition(in.Definition, typ)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now().UTC()
	m := &machine{
		Name: in.Name, ARN: s.StateMachineARN(in.Name), Type: typ, Definition: in.Definition,
		RoleARN: in.RoleArn, Logging: logging, Tracing: tracing, Tags: in.Tags,
		Created: now, Updated: now, RevisionID: uuid.NewString(), sm: sm, timeout: definitionTimeout(in.Definition),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed()
	}
	if old, ok := s.machines[m.ARN]; ok {
		if old.Definition == m.Definition && old.Type == m.Type && reflect.DeepEqual(old.Logging, m.Logging) && old.Tracing == m.Tracing {
			return &CreateStateMachineOutput{StateMachineArn: old.ARN, CreationDate: epoch(old.Created)}, nil
		}
		return nil, apiErr("StateMachineAlreadyExists", "State Machine Already Exists: '%s'", m.ARN)
	}
	if err := s.store.saveMachine(m); err != nil {
		return nil, err
	}
	s.machines[m.ARN] = m
	return &CreateStateMachineOutput{StateMachineArn: m.ARN, CreationDate: epoch(m.Created)}, nil
}

// CreateMachine creates (or idempotently re-creates) a state machine from Go;
// it is CreateStateMachine without the wire format.
func (s *Service) CreateMachine(ctx context.Context, in CreateStateMachineInput) (string, error) {
	out, err := s.CreateStateMachine(ctx, &in)
	if err != nil {
		return "", err
	}
	return out.StateMachineArn, nil
}

// ---- UpdateStateMachine ----

// UpdateStateMachineInput is the request of UpdateStateMachine.
type UpdateStateMachineInput struct {
	StateMachineArn      string         `json:"stateMachineArn"`
	Definition           *string        `json:"definition"`
	RoleArn              *string        `json:"roleArn"`
	LoggingConfiguration *LoggingConfig `json:"loggingConfiguration"`
	TracingConfiguration *TracingConfig `json:"tracingConfiguration"`
	Publish              bool           `json:"publish"`
}

// UpdateStateMachineOutput is the response of UpdateStateMachine.
type UpdateStateMachineOutput struct {
	UpdateDate epoch  `json:"updateDate"`
	RevisionID string `json:"revisionId,omitempty"`
}

// UpdateStateMachine changes a machine's definition, role, logging or
// tracing. Running executions keep the revision they started with.
func (s *Service) UpdateStateMachine(_ context.Context, in *UpdateStateMachineInput) (*UpdateStateMachineOutput, error) {
	if err := checkMachineARN(in.StateMachineArn); err != nil {
		return nil, err
	}
	if in.Definition == nil && in.RoleArn == nil && in.LoggingConfiguration == nil && in.TracingConfiguration == nil {
		return nil, apiErr("MissingRequiredParameter", "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified")
	}
	if in.Publish {
		return nil, errValidation("state machine versions are not supported by the local Step Functions")
	}
	s.mu.RLock()
	old, ok := s.machines[in.StateMachineArn]
	s.mu.RUnlock()
	if !ok {
		return nil, errMachineMissing(in.StateMachineArn)
	}
	m := *old
	if in.Definition != nil {
		sm, err := parseDefinition(*in.Definition, m.Type)
		if err != nil {
			return nil, err
		}
		m.Definition, m.sm, m.timeout = *in.Definition, sm, definitionTimeout(*in.Definition)
	}
	if in.RoleArn != nil {
		m.RoleARN = *in.RoleArn
	}
	if in.LoggingConfiguration != nil {
		l, err := normalizeLogging(in.LoggingConfiguration)
		if err != nil {
			return nil, err
		}
		m.Logging = l
	}
	if in.TracingConfiguration != nil {
		m.Tracing = *in.TracingConfiguration
	}
	m.Updated = s.clock.Now().UTC()
	m.RevisionID = uuid.NewString()
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.machines[m.ARN]; !ok || cur != old {
		return nil, apiErr("ConflictException", "The state machine changed while it was being updated; retry")
	}
	if err := s.store.saveMachine(&m); err != nil {
		return nil, err
	}
	s.machines[m.ARN] = &m
	return &UpdateStateMachineOutput{UpdateDate: epoch(m.Updated), RevisionID: m.RevisionID}, nil
}

// ---- DescribeStateMachine ----

// DescribeStateMachineInput is the request of DescribeStateMachine.
type DescribeStateMachineInput struct {
	StateMachineArn string `json:"stateMachineArn"`
}

// DescribeStateMachineOutput is the response of DescribeStateMachine.
type DescribeStateMachineOutput struct {
	StateMachineArn      string        `json:"stateMachineArn"`
	Name                 string        `json:"name"`
	Status               string        `json:"status"`
	Definition           string        `json:"definition"`
	RoleArn              string        `json:"roleArn"`
	Type                 string        `json:"type"`
	CreationDate         epoch         `json:"creationDate"`
	LoggingConfiguration LoggingConfig `json:"loggingConfiguration"`
	TracingConfiguration TracingConfig `json:"tracingConfiguration"`
	RevisionID           string        `json:"revisionId,omitempty"`
}

// DescribeStateMachine describes a state machine.
func (s *Service) DescribeStateMachine(_ context.Context, in *DescribeStateMachineInput) (*DescribeStateMachineOutput, error) {
	if err := checkMachineARN(in.StateMachineArn); err != nil {
		return nil, err
	}
	s.mu.RLock()
	m, ok := s.machines[in.StateMachineArn]
	s.mu.RUnlock()
	if !ok {
		return nil, errMachineMissing(in.StateMachineArn)
	}
	return &DescribeStateMachineOutput{
		StateMachineArn: m.ARN, Name: m.Name, Status: "ACTIVE", Definition: m.Definition,
		RoleArn: m.RoleARN, Type: m.Type, CreationDate: epoch(m.Created),
		LoggingConfiguration: m.Logging, TracingConfiguration: m.Tracing, RevisionID: m.RevisionID,
	}, nil
}

// ---- ListStateMachines ----

// ListStateMachinesInput is the request of ListStateMachines.
type ListStateMachinesInput struct {
	MaxResults int    `json:"maxResults"`
	NextToken  string `json:"nextToken"`
}

// StateMachineListItem is one entry of ListStateMachines.
type StateMachineListItem struct {
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Type            string `json:"type"`
	CreationDate    epoch  `json:"creationDate"`
}

// ListStateMachinesOutput is the response of ListStateMachines.
type ListStateMachinesOutput struct {
	StateMachines []StateMachineListItem `json:"stateMachines"`
	NextToken     string                 `json:"nextToken,omitempty"`
}

// ListStateMachines lists state machines by name, a page at a time.
func (s *Service) ListStateMachines(_ context.Context, in *ListStateMachinesInput) (*ListStateMachinesOutput, error) {
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	items := make([]StateMachineListItem, 0, len(s.machines))
	for _, m := range s.machines {
		if after != "" && m.Name <= after {
			continue
		}
		items = append(items, StateMachineListItem{StateMachineArn: m.ARN, Name: m.Name, Type: m.Type, CreationDate: epoch(m.Created)})
	}
	s.mu.RUnlock()
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	out := &ListStateMachinesOutput{StateMachines: items}
	if len(items) > limit {
		out.StateMachines = items[:limit]
		out.NextToken = encodeToken(items[limit-1].Name)
	}
	return out, nil
}

func pageSize(n int) (int, error) {
	switch {
	case n < 0 || n > 1000:
		return 0, errValidation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000", n)
	case n == 0:
		return 100, nil
	}
	return n, nil
}

func encodeToken(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decodeToken(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) == 0 {
		return "", apiErr("InvalidToken", "Invalid Token: '%s'", tok)
	}
	return string(b), nil
}

// ---- DeleteStateMachine ----

// DeleteStateMachineInput is the request of DeleteStateMachine.
type DeleteStateMachineInput struct {
	StateMachineArn string `json:"stateMachineArn"`
}

// DeleteStateMachine deletes a state machine. Its running executions go on;
// deleting a machine that does not exist succeeds, as in AWS.
func (s *Service) DeleteStateMachine(_ context.Context, in *DeleteStateMachineInput) (*struct{}, error) {
	if err := checkMachineARN(in.StateMachineArn); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.machines[in.StateMachineArn]
	if !ok {
		return &struct{}{}, nil
	}
	if err := s.store.deleteMachine(m); err != nil {
		return nil, err
	}
	delete(s.machines, in.StateMachineArn)
	return &struct{}{}, nil
}

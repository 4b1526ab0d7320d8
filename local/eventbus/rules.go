package eventbus

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/eventpattern"
)

// Rule states.
const (
	StateEnabled  = "ENABLED"
	StateDisabled = "DISABLED"
	// stateEnabledCloudTrail also delivers CloudTrail management events on AWS;
	// locally it behaves as ENABLED.
	stateEnabledCloudTrail = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
)

// maxTargetsPerRule is EventBridge's limit of targets on one rule.
const maxTargetsPerRule = 5

func (s *Service) operations() map[string]awsproto.Operation {
	return map[string]awsproto.Operation{
		"CreateEventBus":    awsproto.Op(s.CreateEventBus),
		"DescribeEventBus":  awsproto.Op(s.DescribeEventBus),
		"ListEventBuses":    awsproto.Op(s.ListEventBuses),
		"DeleteEventBus":    awsproto.Op(s.DeleteEventBus),
		"PutEvents":         awsproto.Op(s.PutEvents),
		"PutRule":           awsproto.Op(s.PutRule),
		"DescribeRule":      awsproto.Op(s.DescribeRule),
		"ListRules":         awsproto.Op(s.ListRules),
		"DeleteRule":        awsproto.Op(s.DeleteRule),
		"EnableRule":        awsproto.Op(s.EnableRule),
		"DisableRule":       awsproto.Op(s.DisableRule),
		"PutTargets":        awsproto.Op(s.PutTargets),
		"ListTargetsByRule": awsproto.Op(s.ListTargetsByRule),
		"RemoveTargets":     awsproto.Op(s.RemoveTargets),
		"TestEventPattern":  awsproto.Op(s.TestEventPattern),
		"CreateArchive":     awsproto.Op(s.CreateArchive),
		"DescribeArchive":   awsproto.Op(s.DescribeArchive),
		"ListArchives":      awsproto.Op(s.ListArchives),
		"DeleteArchive":     awsproto.Op(s.DeleteArchive),
		"StartReplay":       awsproto.Op(s.StartReplay),
		"DescribeReplay":    awsproto.Op(s.DescribeReplay),
		"ListReplays":       awsproto.Op(s.ListReplays),
	}
}

// Buses.

// CreateEventBus creates a custom event bus.
func (s *Service) CreateEventBus(_ context.Context, in *CreateEventBusInput) (*CreateEventBusOutput, error) {
	if err := checkName(in.Name, "name", busNameRe); err != nil {
		return nil, err
	}
	if in.EventSourceName == "" && strings.Contains(in.Name, "/") {
		return nil, validation("Event bus name must not contain '/'.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buses[in.Name]; ok {
		return nil, alreadyExists("Event bus %s already exists.", in.Name)
	}
	now := time.Now().UTC()
	b := &bus{Name: in.Name, Arn: s.busArn(in.Name), Description: in.Description, Created: now, Modified: now, Rules: map[string]*rule{}}
	s.buses[in.Name] = b
	if err := s.save(); err != nil {
		delete(s.buses, in.Name)
		return nil, err
	}
	return &CreateEventBusOutput{EventBusArn: b.Arn, Description: b.Description}, nil
}

// DescribeEventBus describes a bus (the default bus when the name is empty).
func (s *Service) DescribeEventBus(_ context.Context, in *DescribeEventBusInput) (*DescribeEventBusOutput, error) {
	name := busName(in.Name)
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.buses[name]
	if !ok {
		return nil, notFound("Event bus %s does not exist.", name)
	}
	return &DescribeEventBusOutput{Name: b.Name, Arn: b.Arn, Description: b.Description,
		CreationTime: NewTimestamp(b.Created), LastModifiedTime: NewTimestamp(b.Modified)}, nil
}

// ListEventBuses lists buses by name.
func (s *Service) ListEventBuses(_ context.Context, in *ListEventBusesInput) (*ListEventBusesOutput, error) {
	s.mu.RLock()
	var all []EventBus
	for _, b := range s.buses {
		if strings.HasPrefix(b.Name, in.NamePrefix) {
			all = append(all, EventBus{Name: b.Name, Arn: b.Arn, Description: b.Description,
				CreationTime: NewTimestamp(b.Created), LastModifiedTime: NewTimestamp(b.Modified)})
		}
	}
	s.mu.RUnlock()
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	start, end, next, err := page(len(all), in.NextToken, in.Limit)
	if err != nil {
		return nil, err
	}
	return &ListEventBusesOutput{EventBuses: all[start:end], NextToken: next}, nil
}

// DeleteEventBus deletes a custom bus and its rules. Deleting a bus that does not
// exist succeeds, as on AWS; the default bus cannot be deleted.
func (s *Service) DeleteEventBus(_ context.Context, in *DeleteEventBusInput) (*Empty, error) {
	name := busName(in.Name)
	if name == DefaultBus {
		return nil, validation("Cannot delete event bus default.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buses[name]; !ok {
		return &Empty{}, nil
	}
	delete(s.buses, name)
	if err := s.save(); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// Rules.

// lookupRule returns the bus and rule; callers hold s.mu.
func (s *Service) lookupRule(busNameOrArn, name string) (*bus, *rule, error) {
	bn := busName(busNameOrArn)
	b, ok := s.buses[bn]
	if !ok {
		return nil, nil, notFound("Event bus %s does not exist.", bn)
	}
	r, ok := b.Rules[name]
	if !ok {
		return b, nil, notFound("Rule %s does not exist on EventBus %s.", name, bn)
	}
	return b, r, nil
}

var scheduleRe = regexp.MustCompile(`^(rate\(\s*\d+\s+(minute|minutes|hour|hours|day|days)\s*\)|cron\(\s*\S+(\s+\S+){5}\s*\))$`)

// PutRule creates or updates a rule. An EventPattern is compiled and an invalid
// one is rejected with InvalidEventPatternException. A ScheduleExpression is
// validated and stored, but scheduled rules never fire locally.
func (s *Service) PutRule(_ context.Context, in *PutRuleInput) (*PutRuleOutput, error) {
	if err := checkName(in.Name, "name", ruleNameRe); err != nil {
		return nil, err
	}
	if in.EventPattern == "" && in.ScheduleExpression == "" {
		return nil, validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	state := in.State
	switch state {
	case "":
		state = StateEnabled
	case StateEnabled, StateDisabled, stateEnabledCloudTrail:
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]", state)
	}
	var p *eventpattern.Pattern
	if in.EventPattern != "" {
		var err error
		if p, err = eventpattern.Compile([]byte(in.EventPattern)); err != nil {
			return nil, invalidPattern(err)
		}
	}
	bn := busName(in.EventBusName)
	if in.ScheduleExpression != "" {
		if !scheduleRe.MatchString(in.ScheduleExpression) {
			return nil, validation("Parameter ScheduleExpression is not valid.")
		}
		if bn != DefaultBus {
			return nil, validation("ScheduleExpression is supported only on the default event bus.")
		}
		s.log.Warn("scheduled rules are stored but never fire locally", "rule", in.Name, "schedule", in.ScheduleExpression)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buses[bn]
	if !ok {
		return nil, notFound("Event bus %s does not exist.", bn)
	}
	old := b.Rules[in.Name]
	r := &rule{
		Name: in.Name, Arn: s.ruleArn(bn, in.Name), EventPattern: in.EventPattern,
		ScheduleExpression: in.ScheduleExpression, State: state, Description: in.Description,
		RoleArn: in.RoleArn, EventBusName: bn, pattern: p,
	}
	if old != nil {
		r.Targets = old.Targets
	}
	b.Rules[in.Name] = r
	if err := s.save(); err != nil {
		if old != nil {
			b.Rules[in.Name] = old
		} else {
			delete(b.Rules, in.Name)
		}
		return nil, err
	}
	return &PutRuleOutput{RuleArn: r.Arn}, nil
}

func (r *rule) describe() Rule {
	return Rule{Name: r.Name, Arn: r.Arn, EventPattern: r.EventPattern, ScheduleExpression: r.ScheduleExpression,
		State: r.State, Description: r.Description, RoleArn: r.RoleArn, EventBusName: r.EventBusName}
}

// DescribeRuleOutput is the output of DescribeRule.
type DescribeRuleOutput struct {
	Rule
	CreatedBy string `json:",omitempty"`
}

// DescribeRule describes a rule.
func (s *Service) DescribeRule(_ context.Context, in *RuleRef) (*DescribeRuleOutput, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, r, err := s.lookupRule(in.EventBusName, in.Name)
	if err != nil {
		return nil, err
	}
	return &DescribeRuleOutput{Rule: r.describe(), CreatedBy: s.account}, nil
}

// ListRules lists a bus's rules by name.
func (s *Service) ListRules(_ context.Context, in *ListRulesInput) (*ListRulesOutput, error) {
	bn := busName(in.EventBusName)
	s.mu.RLock()
	b, ok := s.buses[bn]
	if !ok {
		s.mu.RUnlock()
		return nil, notFound("Event bus %s does not exist.", bn)
	}
	var all []Rule
	for _, r := range b.Rules {
		if strings.HasPrefix(r.Name, in.NamePrefix) {
			all = append(all, r.describe())
		}
	}
	s.mu.RUnlock()
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	start, end, next, err := page(len(all), in.NextToken, in.Limit)
	if err != nil {
		return nil, err
	}
	return &ListRulesOutput{Rules: all[start:end], NextToken: next}, nil
}

// DeleteRule deletes a rule. It fails while the rule has targets; deleting a rule
// that does not exist succeeds.
func (s *Service) DeleteRule(_ context.Context, in *RuleRef) (*Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, r, err := s.lookupRule(in.EventBusName, in.Name)
	if err != nil {
		if b != nil {
			return &Empty{}, nil
		}
		return nil, err
	}
	if len(r.Targets) > 0 {
		return nil, validation("Rule can't be deleted since it has targets.")
	}
	delete(b.Rules, in.Name)
	if err := s.save(); err != nil {
		b.Rules[in.Name] = r
		return nil, err
	}
	return &Empty{}, nil
}

// EnableRule enables a rule.
func (s *Service) EnableRule(_ context.Context, in *RuleRef) (*Empty, error) {
	return s.setRuleState(in, StateEnabled)
}

// DisableRule disables a rule: it stops matching events until enabled again.
func (s *Service) DisableRule(_ context.Context, in *RuleRef) (*Empty, error) {
	return s.setRuleState(in, StateDisabled)
}

func (s *Service) setRuleState(in *RuleRef, state string) (*Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, r, err := s.lookupRule(in.EventBusName, in.Name)
	if err != nil {
		return nil, err
	}
	old := r.State
	r.State = state
	if err := s.save(); err != nil {
		r.State = old
		return nil, err
	}
	return &Empty{}, nil
}

// Targets.

func validateTarget(t *Target) error {
	if err := checkName(t.Id, "targets.member.id", ruleNameRe); err != nil {
		return err
	}
	if t.Arn == "" || arnService(t.Arn) == "" {
		return validation("Parameter %s is not valid for target %s.", "Arn", t.Id)
	}
	n := 0
	if t.Input != "" {
		n++
		if !json.Valid([]byte(t.Input)) {
			return validation("Input is not valid JSON for target %s.", t.Id)
		}
	}
	if t.InputPath != "" {
		n++
		if _, err := compilePath(t.InputPath); err != nil {
			return validation("InputPath for target %s is invalid: %v", t.Id, err)
		}
	}
	if t.InputTransformer != nil {
		n++
		if err := validateTransformer(t.InputTransformer); err != nil {
			return validation("InputTransformer for target %s is invalid: %v", t.Id, err)
		}
	}
	if n > 1 {
		return validation("Only one of Input, InputPath, or InputTransformer must be provided.")
	}
	if rp := t.RetryPolicy; rp != nil {
		if v := rp.MaximumRetryAttempts; v != nil && (*v < 0 || *v > 185) {
			return validation("1 validation error detected: Value '%d' at 'targets.member.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value between 0 and 185", *v)
		}
		if v := rp.MaximumEventAgeInSeconds; v != nil && (*v < 60 || *v > 86400) {
			return validation("1 validation error detected: Value '%d' at 'targets.member.retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 86400", *v)
		}
	}
	if d := t.DeadLetterConfig; d != nil && d.Arn != "" && arnService(d.Arn) != "sqs" {
		return validation("DeadLetterConfig Arn %s of target %s is not an SQS queue ARN.", d.Arn, t.Id)
	}
	return nil
}

// PutTargets adds targets to a rule or updates them (by Id).
func (s *Service) PutTargets(_ context.Context, in *PutTargetsInput) (*PutTargetsOutput, error) {
	if len(in.Targets) < 1 || len(in.Targets) > 10 {
		return nil, validation("1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 10")
	}
	for i := range in.Targets {
		if err := validateTarget(&in.Targets[i]); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, r, err := s.lookupRule(in.EventBusName, in.Rule)
	if err != nil {
		return nil, err
	}
	targets := append([]Target(nil), r.Targets...)
	for _, t := range in.Targets {
		replaced := false
		for i := range targets {
			if targets[i].Id == t.Id {
				targets[i] = t
				replaced = true
				break
			}
		}
		if !replaced {
			targets = append(targets, t)
		}
	}
	if len(targets) > maxTargetsPerRule {
		return nil, eventsErrors.New("LimitExceededException",
			"The requested resource exceeds the maximum number allowed: a rule can have at most %d targets.", maxTargetsPerRule)
	}
	old := r.Targets
	r.Targets = targets
	if err := s.save(); err != nil {
		r.Targets = old
		return nil, err
	}
	return &PutTargetsOutput{FailedEntries: []FailedEntry{}}, nil
}

// ListTargetsByRule lists a rule's targets.
func (s *Service) ListTargetsByRule(_ context.Context, in *ListTargetsByRuleInput) (*ListTargetsByRuleOutput, error) {
	s.mu.RLock()
	_, r, err := s.lookupRule(in.EventBusName, in.Rule)
	if err != nil {
		s.mu.RUnlock()
		return nil, err
	}
	all := append([]Target(nil), r.Targets...)
	s.mu.RUnlock()
	start, end, next, err := page(len(all), in.NextToken, in.Limit)
	if err != nil {
		return nil, err
	}
	return &ListTargetsByRuleOutput{Targets: all[start:end], NextToken: next}, nil
}

// RemoveTargets removes targets from a rule by Id. Ids the rule does not have
// are ignored.
func (s *Service) RemoveTargets(_ context.Context, in *RemoveTargetsInput) (*RemoveTargetsOutput, error) {
	if len(in.Ids) < 1 || len(in.Ids) > 100 {
		return nil, validation("1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have length between 1 and 100")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, r, err := s.lookupRule(in.EventBusName, in.Rule)
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, id := range in.Ids {
		drop[id] = true
	}
	var kept []Target
	for _, t := range r.Targets {
		if !drop[t.Id] {
			kept = append(kept, t)
		}
	}
	old := r.Targets
	r.Targets = kept
	if err := s.save(); err != nil {
		r.Targets = old
		return nil, err
	}
	return &RemoveTargetsOutput{FailedEntries: []FailedEntry{}}, nil
}

// requiredEventFields are the fields TestEventPattern insists the event has.
var requiredEventFields = []string{"id", "account", "source", "time", "region", "resources", "detail-type"}

// TestEventPattern reports whether an event matches a pattern.
func (s *Service) TestEventPattern(_ context.Context, in *TestEventPatternInput) (*TestEventPatternOutput, error) {
	p, err := eventpattern.Compile([]byte(in.EventPattern))
	if err != nil {
		return nil, invalidPattern(err)
	}
	ev, err := eventpattern.Decode([]byte(in.Event))
	if err != nil {
		return nil, validation("Parameter Event is not valid. Reason: the event is not valid JSON.")
	}
	obj, ok := ev.(map[string]any)
	if !ok {
		return nil, validation("Parameter Event is not valid. Reason: the event is not a JSON object.")
	}
	var missing []string
	for _, f := range requiredEventFields {
		if _, ok := obj[f]; !ok {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return nil, validation("Parameter Event is not valid. Reason: missing required field(s): %s.", strings.Join(missing, ", "))
	}
	return &TestEventPatternOutput{Result: p.MatchValue(ev)}, nil
}

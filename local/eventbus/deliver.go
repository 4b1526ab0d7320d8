package eventbus

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/dragons-dev/dragons/local/awsproto"
)

// Defaults of a target's RetryPolicy, as on AWS.
const (
	defaultMaxRetries = 185
	defaultMaxAge     = 24 * time.Hour
	// dlqAttempts bounds the tries to write one dead letter.
	dlqAttempts = 3
)

// Values of the EXHAUSTED_RETRY_CONDITION dead-letter attribute.
const (
	exhaustedAttempts = "MaximumRetryAttempts"
	exhaustedAge      = "MaximumEventAgeInSeconds"
)

// task is the delivery of one event to one target of one rule.
type task struct {
	ev       *event
	ruleArn  string
	ruleName string
	target   Target
	retries  int
}

func (t *task) limits() (int, time.Duration) {
	retries, age := defaultMaxRetries, defaultMaxAge
	if rp := t.target.RetryPolicy; rp != nil {
		if rp.MaximumRetryAttempts != nil {
			retries = *rp.MaximumRetryAttempts
		}
		if rp.MaximumEventAgeInSeconds != nil {
			age = time.Duration(*rp.MaximumEventAgeInSeconds) * time.Second
		}
	}
	return retries, age
}

// backoff returns the delay before retry number n (0-based): exponential from the
// base delay, capped, with jitter in its upper half.
func (s *Service) backoff(n int) time.Duration {
	d := s.baseDelay
	for i := 0; i < n && d < s.maxDelay; i++ {
		d *= 2
	}
	d = min(d, s.maxDelay)
	half := d / 2
	return half + rand.N(half+1)
}

// deliver makes one attempt and schedules a retry, a dead letter or the end.
func (s *Service) deliver(t *task) {
	maxRetries, maxAge := t.limits()
	if time.Since(t.ev.ingested) > maxAge {
		s.deadLetter(t, "EVENT_EXPIRED", "the event is older than the target's MaximumEventAgeInSeconds", exhaustedAge)
		return
	}
	payload, err := buildInput(t)
	if err == nil {
		err = s.send(t.target.Arn, payload, t.ev.trace)
	}
	if err == nil {
		s.taskDone(t)
		return
	}
	code, retryable := classify(err)
	s.log.Warn("event delivery failed", "event", t.ev.id, "rule", t.ruleArn, "target", t.target.Arn, "attempt", t.retries+1, "code", code, "err", err)
	if !retryable {
		s.deadLetter(t, code, err.Error(), "")
		return
	}
	if t.retries >= maxRetries {
		s.deadLetter(t, code, err.Error(), exhaustedAttempts)
		return
	}
	delay := s.backoff(t.retries)
	if time.Since(t.ev.ingested)+delay > maxAge {
		s.deadLetter(t, code, err.Error(), exhaustedAge)
		return
	}
	t.retries++
	s.after(delay, func() {
		s.work.push(func() { s.deliver(t) })
	})
}

// send delivers a payload to a target.
func (s *Service) send(arn string, payload []byte, trace string) error {
	service := arnService(arn)
	s.mu.RLock()
	queues, inv := s.queues, s.invokers[service]
	s.mu.RUnlock()
	if service == "sqs" {
		if queues == nil {
			return fmt.Errorf("no SQS service is connected: %w", errUnreachable)
		}
		return queues.SendMessage(s.ctx, arn, string(payload), nil)
	}
	if inv == nil {
		return fmt.Errorf("no local invoker for %q targets: %w", service, errUnreachable)
	}
	ctx := s.ctx
	if trace != "" {
		ctx = context.WithValue(ctx, traceKey{}, trace)
	}
	return inv.Invoke(ctx, arn, payload)
}

// classify maps a delivery error to the dead-letter ERROR_CODE and whether it is
// worth retrying.
func classify(err error) (string, bool) {
	var ae *awsproto.Error
	switch {
	case errors.Is(err, ErrTargetNotFound):
		return "RESOURCE_NOT_FOUND", false
	case errors.Is(err, errUnreachable):
		return "CONNECTION_FAILURE", true
	case errors.As(err, &ae):
		switch ae.Code {
		case "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "ResourceNotFoundException", "StateMachineDoesNotExist":
			return "RESOURCE_NOT_FOUND", false
		case "AccessDenied", "AccessDeniedException":
			return "NO_PERMISSIONS", false
		case "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestThrottled":
			return "THROTTLING", true
		}
	}
	return "SDK_CLIENT_ERROR", true
}

// deadLetter sends the event to the target's dead-letter queue with EventBridge's
// attributes (or drops it when the target has none) and ends the task.
func (s *Service) deadLetter(t *task, code, message, condition string) {
	dlq := ""
	if t.target.DeadLetterConfig != nil {
		dlq = t.target.DeadLetterConfig.Arn
	}
	if dlq == "" {
		s.log.Warn("event dropped after failed delivery", "event", t.ev.id, "rule", t.ruleArn, "target", t.target.Arn, "code", code)
		s.taskDone(t)
		return
	}
	attrs := map[string]string{
		"RULE_ARN":       t.ruleArn,
		"TARGET_ARN":     t.target.Arn,
		"ERROR_CODE":     code,
		"ERROR_MESSAGE":  message,
		"RETRY_ATTEMPTS": strconv.Itoa(t.retries),
	}
	if condition != "" {
		attrs["EXHAUSTED_RETRY_CONDITION"] = condition
	}
	s.sendDeadLetter(t, dlq, attrs, 0)
}

func (s *Service) sendDeadLetter(t *task, dlq string, attrs map[string]string, attempt int) {
	s.mu.RLock()
	queues := s.queues
	s.mu.RUnlock()
	var err error
	if queues == nil {
		err = errors.New("no SQS service is connected")
	} else {
		err = queues.SendMessage(s.ctx, dlq, string(t.ev.raw), attrs)
	}
	if err == nil {
		s.taskDone(t)
		return
	}
	if attempt+1 >= dlqAttempts {
		s.log.Error("event dropped: dead-letter queue unavailable", "event", t.ev.id, "dlq", dlq, "err", err)
		s.taskDone(t)
		return
	}
	s.after(s.backoff(attempt), func() {
		s.work.push(func() { s.sendDeadLetter(t, dlq, attrs, attempt+1) })
	})
}

func (s *Service) taskDone(t *task) {
	if t.ev.remaining.Add(-1) == 0 {
		s.finish(t.ev)
	}
}

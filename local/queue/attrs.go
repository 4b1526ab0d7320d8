package queue

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Queue attribute names.
const (
	attrDelaySeconds          = "DelaySeconds"
	attrMaximumMessageSize    = "MaximumMessageSize"
	attrRetentionPeriod       = "MessageRetentionPeriod"
	attrWaitTimeSeconds       = "ReceiveMessageWaitTimeSeconds"
	attrVisibilityTimeout     = "VisibilityTimeout"
	attrPolicy                = "Policy"
	attrRedrivePolicy         = "RedrivePolicy"
	attrRedriveAllowPolicy    = "RedriveAllowPolicy"
	attrKmsMasterKeyID        = "KmsMasterKeyId"
	attrKmsReusePeriod        = "KmsDataKeyReusePeriodSeconds"
	attrSqsManagedSse         = "SqsManagedSseEnabled"
	attrFifoQueue             = "FifoQueue"
	attrContentBasedDedup     = "ContentBasedDeduplication"
	attrDeduplicationScope    = "DeduplicationScope"
	attrFifoThroughputLimit   = "FifoThroughputLimit"
	attrQueueArn              = "QueueArn"
	attrApproxMessages        = "ApproximateNumberOfMessages"
	attrApproxNotVisible      = "ApproximateNumberOfMessagesNotVisible"
	attrApproxDelayed         = "ApproximateNumberOfMessagesDelayed"
	attrCreatedTimestamp      = "CreatedTimestamp"
	attrLastModifiedTimestamp = "LastModifiedTimestamp"
)

// MaxMessageSize is the largest message SQS accepts: 1 MiB of body and attributes.
const MaxMessageSize = 1 << 20

// readOnlyAttrs are reported by GetQueueAttributes but cannot be set.
var readOnlyAttrs = []string{attrQueueArn, attrApproxMessages, attrApproxNotVisible, attrApproxDelayed, attrCreatedTimestamp, attrLastModifiedTimestamp}

// defaultAttrs are the values a new queue starts with.
func defaultAttrs(fifo bool) map[string]string {
	a := map[string]string{
		attrDelaySeconds:       "0",
		attrMaximumMessageSize: strconv.Itoa(MaxMessageSize),
		attrRetentionPeriod:    "345600",
		attrWaitTimeSeconds:    "0",
		attrVisibilityTimeout:  "30",
		attrSqsManagedSse:      "true",
	}
	if fifo {
		a[attrFifoQueue] = "true"
		a[attrContentBasedDedup] = "false"
		a[attrDeduplicationScope] = "queue"
		a[attrFifoThroughputLimit] = "perQueue"
	}
	return a
}

// redrivePolicy is a parsed RedrivePolicy attribute.
type redrivePolicy struct {
	Target      string `json:"deadLetterTargetArn"`
	MaxReceives int    `json:"maxReceiveCount"`
}

// queueConfig is the parsed form of a queue's attributes, read on the hot paths.
type queueConfig struct {
	visibility   int
	delay        int
	retention    int
	maxSize      int
	wait         int
	redrive      *redrivePolicy
	contentDedup bool
	groupScope   bool // DeduplicationScope = messageGroup
}

// parseConfig derives a queueConfig from canonical attribute values.
func parseConfig(attrs map[string]string) queueConfig {
	num := func(name string) int {
		n, _ := strconv.Atoi(attrs[name])
		return n
	}
	c := queueConfig{
		visibility:   num(attrVisibilityTimeout),
		delay:        num(attrDelaySeconds),
		retention:    num(attrRetentionPeriod),
		maxSize:      num(attrMaximumMessageSize),
		wait:         num(attrWaitTimeSeconds),
		contentDedup: attrs[attrContentBasedDedup] == "true",
		groupScope:   attrs[attrDeduplicationScope] == "messageGroup",
	}
	if c.maxSize == 0 {
		c.maxSize = MaxMessageSize
	}
	if p := attrs[attrRedrivePolicy]; p != "" {
		var rp redrivePolicy
		if err := json.Unmarshal([]byte(p), &rp); err == nil {
			c.redrive = &rp
		}
	}
	return c
}

func intRange(name string, lo, hi int) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < lo || n > hi {
			return "", sqsError(CodeInvalidAttributeValue, "Invalid value for the parameter %s. Reason: must be an integer from %d to %d.", name, lo, hi)
		}
		return strconv.Itoa(n), nil
	}
}

func boolAttr(name string) func(string) (string, error) {
	return func(v string) (string, error) {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return "true", nil
		case "false":
			return "false", nil
		}
		return "", sqsError(CodeInvalidAttributeValue, "Invalid value for the parameter %s. Reason: must be true or false.", name)
	}
}

func oneOf(name string, values ...string) func(string) (string, error) {
	return func(v string) (string, error) {
		for _, ok := range values {
			if v == ok {
				return v, nil
			}
		}
		return "", sqsError(CodeInvalidAttributeValue, "Invalid value for the parameter %s. Reason: must be one of %s.", name, strings.Join(values, ", "))
	}
}

func jsonAttr(name string) func(string) (string, error) {
	return func(v string) (string, error) {
		if v == "" {
			return "", nil
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(v)); err != nil {
			return "", sqsError(CodeInvalidAttributeValue, "Invalid value for the parameter %s. Reason: not valid JSON.", name)
		}
		return buf.String(), nil
	}
}

// parseRedrivePolicy validates a RedrivePolicy value; maxReceiveCount may be a
// number or a numeric string, as AWS accepts both.
func parseRedrivePolicy(v string) (redrivePolicy, error) {
	var raw struct {
		Target      string          `json:"deadLetterTargetArn"`
		MaxReceives json.RawMessage `json:"maxReceiveCount"`
	}
	bad := func(reason string) error {
		return errBadValue(attrRedrivePolicy, v, reason)
	}
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return redrivePolicy{}, bad("Invalid value for the parameter RedrivePolicy: not a JSON object.")
	}
	if raw.Target == "" {
		return redrivePolicy{}, bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
	}
	if len(raw.MaxReceives) == 0 {
		return redrivePolicy{}, bad("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
	}
	s := strings.Trim(string(raw.MaxReceives), `"`)
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		return redrivePolicy{}, bad("Invalid value for maxReceiveCount: must be an integer from 1 to 1000.")
	}
	if _, ok := parseQueueARN(raw.Target); !ok {
		return redrivePolicy{}, bad("Invalid value for deadLetterTargetArn.")
	}
	return redrivePolicy{Target: raw.Target, MaxReceives: n}, nil
}

// redriveAllowPolicy is a parsed RedriveAllowPolicy attribute.
type redriveAllowPolicy struct {
	Permission string   `json:"redrivePermission"`
	Sources    []string `json:"sourceQueueArns,omitempty"`
}

func parseRedriveAllowPolicy(v string) (redriveAllowPolicy, error) {
	var p redriveAllowPolicy
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return p, errBadValue(attrRedriveAllowPolicy, v, "not a JSON object")
	}
	switch p.Permission {
	case "allowAll", "denyAll":
		if len(p.Sources) > 0 {
			return p, errBadValue(attrRedriveAllowPolicy, v, "sourceQueueArns is only allowed when redrivePermission is byQueue")
		}
	case "byQueue":
		if len(p.Sources) == 0 || len(p.Sources) > 10 {
			return p, errBadValue(attrRedriveAllowPolicy, v, "byQueue needs 1 to 10 sourceQueueArns")
		}
	default:
		return p, errBadValue(attrRedriveAllowPolicy, v, "redrivePermission must be allowAll, denyAll or byQueue")
	}
	return p, nil
}

// allows reports whether a queue with ARN source may use the queue with this policy
// as its dead-letter queue.
func (p redriveAllowPolicy) allows(source string) bool {
	switch p.Permission {
	case "denyAll":
		return false
	case "byQueue":
		for _, s := range p.Sources {
			if s == source {
				return true
			}
		}
		return false
	}
	return true
}

// canonicalAttr validates one settable attribute and returns its canonical value.
func canonicalAttr(name, value string, fifo, creating bool) (string, error) {
	var check func(string) (string, error)
	switch name {
	case attrDelaySeconds:
		check = intRange(name, 0, 900)
	case attrMaximumMessageSize:
		check = intRange(name, 1024, MaxMessageSize)
	case attrRetentionPeriod:
		check = intRange(name, 60, 1209600)
	case attrWaitTimeSeconds:
		check = intRange(name, 0, 20)
	case attrVisibilityTimeout:
		check = intRange(name, 0, 43200)
	case attrKmsReusePeriod:
		check = intRange(name, 60, 86400)
	case attrSqsManagedSse:
		check = boolAttr(name)
	case attrPolicy:
		check = jsonAttr(name)
	case attrKmsMasterKeyID:
		check = func(v string) (string, error) { return v, nil }
	case attrRedrivePolicy:
		check = func(v string) (string, error) {
			if v == "" {
				return "", nil
			}
			p, err := parseRedrivePolicy(v)
			if err != nil {
				return "", err
			}
			b, _ := json.Marshal(p)
			return string(b), nil
		}
	case attrRedriveAllowPolicy:
		check = func(v string) (string, error) {
			if v == "" {
				return "", nil
			}
			p, err := parseRedriveAllowPolicy(v)
			if err != nil {
				return "", err
			}
			b, _ := json.Marshal(p)
			return string(b), nil
		}
	case attrFifoQueue:
		if !creating {
			return "", sqsError(CodeInvalidAttributeName, "Unknown Attribute %s.", name)
		}
		check = boolAttr(name)
	case attrContentBasedDedup:
		if fifo {
			check = boolAttr(name)
		}
	case attrDeduplicationScope:
		if fifo {
			check = oneOf(name, "messageGroup", "queue")
		}
	case attrFifoThroughputLimit:
		if fifo {
			check = oneOf(name, "perQueue", "perMessageGroupId")
		}
	}
	if check == nil {
		return "", sqsError(CodeInvalidAttributeName, "Unknown Attribute %s.", name)
	}
	return check(value)
}

// knownAttr reports whether name is a queue attribute GetQueueAttributes may ask for.
func knownAttr(name string) bool {
	switch name {
	case "All", attrDelaySeconds, attrMaximumMessageSize, attrRetentionPeriod, attrWaitTimeSeconds,
		attrVisibilityTimeout, attrPolicy, attrRedrivePolicy, attrRedriveAllowPolicy, attrKmsMasterKeyID,
		attrKmsReusePeriod, attrSqsManagedSse, attrFifoQueue, attrContentBasedDedup, attrDeduplicationScope,
		attrFifoThroughputLimit:
		return true
	}
	for _, ro := range readOnlyAttrs {
		if name == ro {
			return true
		}
	}
	return false
}

// validQueueName reports whether name is a valid SQS queue name.
func validQueueName(name string) bool {
	base := strings.TrimSuffix(name, ".fifo")
	if len(name) == 0 || len(name) > 80 || base == "" {
		return false
	}
	for _, c := range base {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// parseQueueARN returns the queue name of an SQS queue ARN.
func parseQueueARN(arn string) (name string, ok bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[5] == "" {
		return "", false
	}
	return parts[5], true
}

func fmtInt(n int64) string { return strconv.FormatInt(n, 10) }

package queue

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Move task statuses.
const (
	TaskRunning    = "RUNNING"
	TaskCompleted  = "COMPLETED"
	TaskCancelling = "CANCELLING"
	TaskCancelled  = "CANCELLED"
	TaskFailed     = "FAILED"
)

// MoveTask describes a message move task (dead-letter queue redrive).
type MoveTask struct {
	TaskHandle                        string // only while running
	Status                            string
	SourceArn                         string
	DestinationArn                    string // "" = each message's original source
	MaxNumberOfMessagesPerSecond      int    // 0 = unlimited
	ApproximateNumberOfMessagesMoved  int64
	ApproximateNumberOfMessagesToMove int64
	FailureReason                     string
	StartedTimestamp                  int64 // unix ms
}

type moveTask struct {
	info   MoveTask // guarded by taskSet.mu
	handle string
	source *queue
	cancel chan struct{}
}

// taskSet holds the move tasks of this process; they are not persisted (a restart
// forgets them, and whatever they moved stays moved).
type taskSet struct {
	mu       sync.Mutex
	bySource map[string][]*moveTask // oldest first
	byHandle map[string]*moveTask
}

func (ts *taskSet) init() {
	ts.bySource = map[string][]*moveTask{}
	ts.byHandle = map[string]*moveTask{}
}

func (ts *taskSet) cancelAll() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, t := range ts.byHandle {
		if t.info.Status == TaskRunning {
			t.info.Status = TaskCancelling
			close(t.cancel)
		}
	}
}

func errNoResource(what string) error {
	return sqsError(CodeResourceNotFound, "The resource that you specified for the %s parameter doesn't exist.", what)
}

// StartMessageMoveTask starts moving the visible messages of a dead-letter queue
// to destinationArn, or back to each message's source queue when it is "". rate
// limits messages per second (0 = as fast as possible, else 1 to 500).
func (s *Service) StartMessageMoveTask(_ context.Context, sourceArn, destinationArn string, rate int) (string, error) {
	if sourceArn == "" {
		return "", errMissing("SourceArn")
	}
	src, err := s.resolve(sourceArn)
	if err != nil {
		return "", errNoResource("SourceArn")
	}
	if len(s.sourcesOf(src.arn)) == 0 {
		return "", errInvalidParam("Source queue must be configured as a Dead Letter Queue.")
	}
	if destinationArn != "" {
		dst, err := s.resolve(destinationArn)
		if err != nil {
			return "", errNoResource("DestinationArn")
		}
		if dst == src {
			return "", errInvalidParam("Source queue and destination queue must be different.")
		}
		destinationArn = dst.arn
	}
	if rate < 0 || rate > 500 {
		return "", errBadValue("MaxNumberOfMessagesPerSecond", rate, "Must be between 1 and 500.")
	}
	if s.isClosed() {
		return "", errClosed()
	}
	src.mu.Lock()
	src.promote(time.Now().UnixNano())
	toMove := int64(src.nReady)
	src.mu.Unlock()

	id := uuid.NewString()
	h, _ := json.Marshal(map[string]string{"taskId": id, "sourceArn": src.arn})
	t := &moveTask{
		handle: base64.StdEncoding.EncodeToString(h),
		source: src,
		cancel: make(chan struct{}),
		info: MoveTask{
			Status: TaskRunning, SourceArn: src.arn, DestinationArn: destinationArn,
			MaxNumberOfMessagesPerSecond: rate, ApproximateNumberOfMessagesToMove: toMove,
			StartedTimestamp: time.Now().UnixMilli(),
		},
	}
	s.tasks.mu.Lock()
	for _, o := range s.tasks.bySource[src.arn] {
		if o.info.Status == TaskRunning || o.info.Status == TaskCancelling {
			s.tasks.mu.Unlock()
			return "", sqsError(CodeUnsupportedOperation, "There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
		}
	}
	s.tasks.bySource[src.arn] = append(s.tasks.bySource[src.arn], t)
	s.tasks.byHandle[t.handle] = t
	s.bg.Add(1)
	s.tasks.mu.Unlock()
	go s.runMove(t)
	return t.handle, nil
}

func (s *Service) finishTask(t *moveTask, status, reason string) {
	s.tasks.mu.Lock()
	defer s.tasks.mu.Unlock()
	if t.info.Status == TaskCancelling {
		status, reason = TaskCancelled, ""
	}
	t.info.Status, t.info.FailureReason = status, reason
}

func (s *Service) runMove(t *moveTask) {
	defer s.bg.Done()
	s.tasks.mu.Lock()
	info := t.info
	s.tasks.mu.Unlock()
	var interval time.Duration
	if info.MaxNumberOfMessagesPerSecond > 0 {
		interval = time.Second / time.Duration(info.MaxNumberOfMessagesPerSecond)
	}
	start := time.Now()
	var moved int64
	for moved < info.ApproximateNumberOfMessagesToMove {
		select {
		case <-t.cancel:
			s.finishTask(t, TaskCancelled, "")
			return
		default:
		}
		n := int(min(10, info.ApproximateNumberOfMessagesToMove-moved))
		if interval > 0 {
			n = 1
		}
		msgs := s.take(t.source, n)
		if len(msgs) == 0 {
			break
		}
		groups := map[string][]*message{}
		var order []string
		for _, m := range msgs {
			dest := info.DestinationArn
			if dest == "" {
				dest = m.dlqSource
			}
			if _, ok := groups[dest]; !ok {
				order = append(order, dest)
			}
			groups[dest] = append(groups[dest], m)
		}
		for i, dest := range order {
			var dq *queue
			if dest != "" {
				dq, _ = s.resolve(dest)
			}
			if dq == nil || !s.transfer(t.source, dq, groups[dest], false) {
				for _, rest := range order[i:] {
					s.putBack(t.source, groups[rest])
				}
				reason := "The destination queue " + dest + " does not exist."
				if dest == "" {
					reason = "A message has no original source queue; give a DestinationArn."
				}
				s.finishTask(t, TaskFailed, reason)
				return
			}
			moved += int64(len(groups[dest]))
			s.tasks.mu.Lock()
			t.info.ApproximateNumberOfMessagesMoved = moved
			s.tasks.mu.Unlock()
		}
		if interval > 0 {
			wait := time.Until(start.Add(time.Duration(moved) * interval))
			select {
			case <-t.cancel:
				s.finishTask(t, TaskCancelled, "")
				return
			case <-time.After(wait):
			}
		}
	}
	s.finishTask(t, TaskCompleted, "")
}

// take removes up to n visible messages from q for a move; the move record that
// stores them elsewhere is what journals their removal.
func (s *Service) take(q *queue, n int) []*message {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return nil
	}
	q.promote(time.Now().UnixNano())
	var out []*message
	q.candidates(n, func(m *message) bool {
		q.remove(m)
		out = append(out, m)
		return true
	})
	return out
}

// CancelMessageMoveTask stops a running task and returns how many messages it moved.
func (s *Service) CancelMessageMoveTask(_ context.Context, handle string) (int64, error) {
	s.tasks.mu.Lock()
	defer s.tasks.mu.Unlock()
	t := s.tasks.byHandle[handle]
	if t == nil || t.info.Status != TaskRunning {
		return 0, errNoResource("TaskHandle")
	}
	t.info.Status = TaskCancelling
	close(t.cancel)
	return t.info.ApproximateNumberOfMessagesMoved, nil
}

// ListMessageMoveTasks returns up to max (1 to 10, 0 = 1) of the most recent
// tasks of a source queue, newest first.
func (s *Service) ListMessageMoveTasks(_ context.Context, sourceArn string, max int) ([]MoveTask, error) {
	if sourceArn == "" {
		return nil, errMissing("SourceArn")
	}
	if max == 0 {
		max = 1
	}
	if max < 1 || max > 10 {
		return nil, errBadValue("MaxResults", max, "Must be between 1 and 10.")
	}
	src, err := s.resolve(sourceArn)
	if err != nil {
		return nil, errNoResource("SourceArn")
	}
	s.tasks.mu.Lock()
	defer s.tasks.mu.Unlock()
	ts := s.tasks.bySource[src.arn]
	var out []MoveTask
	for i := len(ts) - 1; i >= 0 && len(out) < max; i-- {
		info := ts[i].info
		if info.Status == TaskRunning {
			info.TaskHandle = ts[i].handle
		}
		out = append(out, info)
	}
	return out, nil
}

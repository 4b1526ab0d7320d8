package eventbus

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dragons-dev/dragons/local/eventpattern"
)

// Archive and replay states.
const (
	archiveEnabled  = "ENABLED"
	replayStarting  = "STARTING"
	replayRunning   = "RUNNING"
	replayCompleted = "COMPLETED"
	replayFailed    = "FAILED"
)

// archive keeps the events of a bus that match its pattern, for replays.
type archive struct {
	Name          string    `json:"name"`
	Arn           string    `json:"arn"`
	SourceArn     string    `json:"sourceArn"`
	Description   string    `json:"description,omitempty"`
	EventPattern  string    `json:"eventPattern,omitempty"`
	RetentionDays int       `json:"retentionDays"`
	Created       time.Time `json:"created"`

	pattern *eventpattern.Pattern
	log     *journal // nil in memory mode

	mu     sync.Mutex
	events []archived
	size   int64
}

// archived is an archived event and the time it was received.
type archived struct {
	At  time.Time
	Raw []byte
}

type archiveLine struct {
	At    int64           `json:"at"`
	Event json.RawMessage `json:"event"`
}

func (s *Service) archivePath(name string) string {
	return filepath.Join(s.dataDir, "archives", name+".jsonl")
}

// openArchive compiles the archive's pattern and loads its events.
func (s *Service) openArchive(a *archive) error {
	if a.EventPattern != "" {
		p, err := eventpattern.Compile([]byte(a.EventPattern))
		if err != nil {
			return fmt.Errorf("archive %s: %w", a.Name, err)
		}
		a.pattern = p
	}
	if s.dataDir == "" {
		return nil
	}
	j, lines, err := openJournal(s.archivePath(a.Name), s.durability, s.log)
	if err != nil {
		return err
	}
	a.log = j
	cutoff := time.Time{}
	if a.RetentionDays > 0 {
		cutoff = time.Now().Add(-time.Duration(a.RetentionDays) * 24 * time.Hour)
	}
	for _, l := range lines {
		var rec archiveLine
		if err := json.Unmarshal(l, &rec); err != nil {
			continue
		}
		at := time.Unix(0, rec.At).UTC()
		if at.Before(cutoff) {
			continue
		}
		a.events = append(a.events, archived{At: at, Raw: rec.Event})
		a.size += int64(len(rec.Event))
	}
	return nil
}

// add archives ev when it matches the archive's pattern.
func (a *archive) add(ev *event, now time.Time) error {
	if a.pattern != nil && !a.pattern.MatchValue(ev.doc) {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.log != nil {
		line, err := json.Marshal(archiveLine{At: now.UnixNano(), Event: ev.raw})
		if err != nil {
			return fmt.Errorf("encode archived event: %w", err)
		}
		if err := a.log.append(line); err != nil {
			return err
		}
	}
	a.events = append(a.events, archived{At: now, Raw: ev.raw})
	a.size += int64(len(ev.raw))
	return nil
}

func (a *archive) stats() (int64, int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return int64(len(a.events)), a.size
}

// CreateArchive creates an archive of a bus's events (those matching EventPattern,
// or all of them).
func (s *Service) CreateArchive(_ context.Context, in *CreateArchiveInput) (*CreateArchiveOutput, error) {
	if err := checkName(in.ArchiveName, "archiveName", archNameRe); err != nil {
		return nil, err
	}
	if in.RetentionDays < 0 {
		return nil, validation("1 validation error detected: Value '%d' at 'retentionDays' failed to satisfy constraint: Member must have value greater than or equal to 0", in.RetentionDays)
	}
	a := &archive{Name: in.ArchiveName, Arn: s.archiveArn(in.ArchiveName), SourceArn: in.EventSourceArn,
		Description: in.Description, EventPattern: in.EventPattern, RetentionDays: in.RetentionDays, Created: time.Now().UTC()}
	if in.EventPattern != "" {
		if _, err := eventpattern.Compile([]byte(in.EventPattern)); err != nil {
			return nil, invalidPattern(err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.archives[a.Name]; ok {
		return nil, alreadyExists("Archive %s already exists.", a.Name)
	}
	bn := busName(in.EventSourceArn)
	if b, ok := s.buses[bn]; !ok || b.Arn != in.EventSourceArn {
		return nil, notFound("Event bus %s does not exist.", bn)
	}
	if s.dataDir != "" {
		_ = os.Remove(s.archivePath(a.Name)) // events of a deleted archive of the same name
	}
	if err := s.openArchive(a); err != nil {
		return nil, err
	}
	s.archives[a.Name] = a
	if err := s.save(); err != nil {
		delete(s.archives, a.Name)
		return nil, err
	}
	return &CreateArchiveOutput{ArchiveArn: a.Arn, State: archiveEnabled, CreationTime: NewTimestamp(a.Created)}, nil
}

// DescribeArchive describes an archive.
func (s *Service) DescribeArchive(_ context.Context, in *ArchiveRef) (*DescribeArchiveOutput, error) {
	s.mu.RLock()
	a, ok := s.archives[in.ArchiveName]
	s.mu.RUnlock()
	if !ok {
		return nil, notFound("Archive %s does not exist.", in.ArchiveName)
	}
	count, size := a.stats()
	return &DescribeArchiveOutput{ArchiveArn: a.Arn, ArchiveName: a.Name, EventSourceArn: a.SourceArn,
		Description: a.Description, EventPattern: a.EventPattern, State: archiveEnabled,
		RetentionDays: a.RetentionDays, SizeBytes: size, EventCount: count, CreationTime: NewTimestamp(a.Created)}, nil
}

// ListArchives lists archives by name.
func (s *Service) ListArchives(_ context.Context, in *ListArchivesInput) (*ListArchivesOutput, error) {
	s.mu.RLock()
	var all []Archive
	for _, a := range s.archives {
		if !strings.HasPrefix(a.Name, in.NamePrefix) || (in.EventSourceArn != "" && a.SourceArn != in.EventSourceArn) ||
			(in.State != "" && in.State != archiveEnabled) {
			continue
		}
		count, size := a.stats()
		all = append(all, Archive{ArchiveName: a.Name, EventSourceArn: a.SourceArn, State: archiveEnabled,
			RetentionDays: a.RetentionDays, SizeBytes: size, EventCount: count, CreationTime: NewTimestamp(a.Created)})
	}
	s.mu.RUnlock()
	sort.Slice(all, func(i, j int) bool { return all[i].ArchiveName < all[j].ArchiveName })
	start, end, next, err := page(len(all), in.NextToken, in.Limit)
	if err != nil {
		return nil, err
	}
	return &ListArchivesOutput{Archives: all[start:end], NextToken: next}, nil
}

// DeleteArchive deletes an archive and its events.
func (s *Service) DeleteArchive(_ context.Context, in *ArchiveRef) (*Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.archives[in.ArchiveName]
	if !ok {
		return nil, notFound("Archive %s does not exist.", in.ArchiveName)
	}
	delete(s.archives, in.ArchiveName)
	if err := s.save(); err != nil {
		s.archives[in.ArchiveName] = a
		return nil, err
	}
	if a.log != nil {
		_ = a.log.close()
		_ = os.Remove(s.archivePath(a.Name))
	}
	return &Empty{}, nil
}

// replay re-sends archived events to a bus.
type replay struct {
	Name          string            `json:"name"`
	Arn           string            `json:"arn"`
	Description   string            `json:"description,omitempty"`
	State         string            `json:"state"`
	StateReason   string            `json:"stateReason,omitempty"`
	SourceArn     string            `json:"sourceArn"`
	Destination   ReplayDestination `json:"destination"`
	EventStart    time.Time         `json:"eventStart"`
	EventEnd      time.Time         `json:"eventEnd"`
	LastReplayed  time.Time         `json:"lastReplayed,omitzero"`
	ReplayStarted time.Time         `json:"replayStarted"`
	ReplayEnded   time.Time         `json:"replayEnded,omitzero"`
}

func tsOrNil(t time.Time) *Timestamp {
	if t.IsZero() {
		return nil
	}
	return NewTimestamp(t)
}

// StartReplay replays the archived events received in [EventStartTime,
// EventEndTime) to the archive's bus: to every rule, or to the rules listed in
// Destination.FilterArns. Replayed events carry a "replay-name" field and are not
// archived again. The replay runs in the background; DescribeReplay reports it.
func (s *Service) StartReplay(_ context.Context, in *StartReplayInput) (*StartReplayOutput, error) {
	if err := checkName(in.ReplayName, "replayName", ruleNameRe); err != nil {
		return nil, err
	}
	if in.EventStartTime == nil || in.EventEndTime == nil || in.Destination == nil || in.Destination.Arn == "" {
		return nil, validation("EventStartTime, EventEndTime and Destination are required.")
	}
	start, end := in.EventStartTime.Time(), in.EventEndTime.Time()
	if !end.After(start) {
		return nil, validation("Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.")
	}
	if start.After(time.Now()) {
		return nil, validation("Parameter EventStartTime is not valid. Reason: EventStartTime must be in the past.")
	}
	s.mu.Lock()
	if _, ok := s.replays[in.ReplayName]; ok {
		s.mu.Unlock()
		return nil, alreadyExists("Replay %s already exists.", in.ReplayName)
	}
	var a *archive
	for _, x := range s.archives {
		if x.Arn == in.EventSourceArn {
			a = x
		}
	}
	if a == nil {
		s.mu.Unlock()
		name := in.EventSourceArn
		if i := strings.Index(name, ":archive/"); i >= 0 {
			name = name[i+len(":archive/"):]
		}
		return nil, notFound("Archive %s does not exist.", name)
	}
	if in.Destination.Arn != a.SourceArn {
		s.mu.Unlock()
		return nil, validation("Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.")
	}
	b := s.buses[busName(a.SourceArn)]
	for _, fa := range in.Destination.FilterArns {
		found := false
		if b != nil {
			for _, r := range b.Rules {
				found = found || r.Arn == fa
			}
		}
		if !found {
			s.mu.Unlock()
			return nil, validation("Parameter Destination.FilterArns is not valid. Reason: Rule %s does not exist on the destination event bus.", fa)
		}
	}
	r := &replay{Name: in.ReplayName, Arn: s.replayArn(in.ReplayName), Description: in.Description, State: replayStarting,
		SourceArn: in.EventSourceArn, Destination: *in.Destination, EventStart: start, EventEnd: end, ReplayStarted: time.Now().UTC()}
	s.replays[r.Name] = r
	if err := s.save(); err != nil {
		delete(s.replays, r.Name)
		s.mu.Unlock()
		return nil, err
	}
	s.mu.Unlock()
	out := &StartReplayOutput{ReplayArn: r.Arn, State: replayStarting, ReplayStartTime: NewTimestamp(r.ReplayStarted)}
	s.bg.Add(1)
	go s.runReplay(r, a)
	return out, nil
}

func (s *Service) runReplay(r *replay, a *archive) {
	defer s.bg.Done()
	s.setReplay(r, func() { r.State = replayRunning })
	var filter map[string]bool
	if len(r.Destination.FilterArns) > 0 {
		filter = map[string]bool{}
		for _, f := range r.Destination.FilterArns {
			filter[f] = true
		}
	}
	a.mu.Lock()
	events := append([]archived(nil), a.events...)
	a.mu.Unlock()
	bn := busName(a.SourceArn)
	now := time.Now().UTC()
	suffix := []byte(`,"replay-name":` + mustJSON(r.Name) + `}`)
	var last time.Time
	for _, e := range events {
		if s.ctx.Err() != nil {
			break
		}
		if e.At.Before(r.EventStart) || !e.At.Before(r.EventEnd) {
			continue
		}
		raw := append(append([]byte(nil), e.Raw[:len(e.Raw)-1]...), suffix...)
		ev, err := newEventFromRaw("", bn, raw, now)
		if err != nil {
			s.log.Warn("skip unreadable archived event", "archive", a.Name, "err", err)
			continue
		}
		if m, ok := ev.doc.(map[string]any); ok {
			ev.id, _ = m["id"].(string)
		}
		ev.filter = filter
		s.inflight.Add(1)
		s.enqueueDispatch(ev)
		last = e.At
	}
	s.setReplay(r, func() {
		if s.ctx.Err() != nil {
			r.State, r.StateReason = replayFailed, "The service stopped during the replay."
		} else {
			r.State = replayCompleted
		}
		r.LastReplayed = last
		r.ReplayEnded = time.Now().UTC()
	})
}

func (s *Service) setReplay(r *replay, f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
	if err := s.save(); err != nil {
		s.log.Warn("save replay state", "replay", r.Name, "err", err)
	}
}

func mustJSON(v any) string {
	b, err := marshalNoEscape(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// DescribeReplay describes a replay.
func (s *Service) DescribeReplay(_ context.Context, in *ReplayRef) (*DescribeReplayOutput, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.replays[in.ReplayName]
	if !ok {
		return nil, notFound("Replay %s does not exist.", in.ReplayName)
	}
	dest := r.Destination
	return &DescribeReplayOutput{ReplayName: r.Name, ReplayArn: r.Arn, Description: r.Description, State: r.State,
		StateReason: r.StateReason, EventSourceArn: r.SourceArn, Destination: &dest,
		EventStartTime: tsOrNil(r.EventStart), EventEndTime: tsOrNil(r.EventEnd), EventLastReplayedTime: tsOrNil(r.LastReplayed),
		ReplayStartTime: tsOrNil(r.ReplayStarted), ReplayEndTime: tsOrNil(r.ReplayEnded)}, nil
}

// ListReplays lists replays by name.
func (s *Service) ListReplays(_ context.Context, in *ListReplaysInput) (*ListReplaysOutput, error) {
	s.mu.RLock()
	var all []Replay
	for _, r := range s.replays {
		if !strings.HasPrefix(r.Name, in.NamePrefix) || (in.EventSourceArn != "" && r.SourceArn != in.EventSourceArn) ||
			(in.State != "" && in.State != r.State) {
			continue
		}
		all = append(all, Replay{ReplayName: r.Name, EventSourceArn: r.SourceArn, State: r.State, StateReason: r.StateReason,
			EventStartTime: tsOrNil(r.EventStart), EventEndTime: tsOrNil(r.EventEnd), EventLastReplayedTime: tsOrNil(r.LastReplayed),
			ReplayStartTime: tsOrNil(r.ReplayStarted), ReplayEndTime: tsOrNil(r.ReplayEnded)})
	}
	s.mu.RUnlock()
	sort.Slice(all, func(i, j int) bool { return all[i].ReplayName < all[j].ReplayName })
	start, end, next, err := page(len(all), in.NextToken, in.Limit)
	if err != nil {
		return nil, err
	}
	return &ListReplaysOutput{Replays: all[start:end], NextToken: next}, nil
}

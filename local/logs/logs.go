// Package logs is the local CloudWatch Logs: a store of log groups, streams and
// events that the Lambda host and Step Functions write to, served over the JSON 1.1
// API (CreateLogGroup, CreateLogStream, PutLogEvents, DescribeLogGroups,
// DescribeLogStreams, GetLogEvents, FilterLogEvents, DeleteLogGroup). With a data
// directory each group is an append-only JSON-lines file, replayed at start.
//
// It does not implement metric filters, subscriptions, Insights queries or JSON
// filter patterns; FilterLogEvents matches plain terms and quoted phrases.
package logs

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dragons-dev/dragons/local/awsproto"
)

// maxEventsPerStream bounds memory; older events are dropped first.
const maxEventsPerStream = 20000

// Event is one log event.
type Event struct {
	Timestamp     int64  `json:"timestamp"` // ms since the epoch
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
}

type stream struct {
	name    string
	created int64
	events  []Event
	// dropped counts the events discarded from the front to bound memory, so
	// that dropped+i is the stable position of events[i] that tokens refer to.
	dropped int64
}

type group struct {
	name    string
	created int64
	streams map[string]*stream
	file    *os.File
}

// Options configure a Service.
type Options struct {
	DataDir string // "" keeps logs in memory
	Region  string
	Now     func() time.Time
	// Logger receives the errors AppendLog cannot return (a log line that
	// could not be stored); nil discards them.
	Logger *slog.Logger
}

// Service stores logs and serves the CloudWatch Logs API.
type Service struct {
	opts   Options
	mu     sync.RWMutex
	groups map[string]*group
	api    *awsproto.JSONService
}

// New opens the log store, replaying any persisted groups.
func New(opts Options) (*Service, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{opts: opts, groups: map[string]*group{}}
	if opts.DataDir != "" {
		if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("create logs dir: %w", err)
		}
		if err := s.replay(); err != nil {
			return nil, err
		}
	}
	s.api = &awsproto.JSONService{Version: "1.1", Ops: map[string]awsproto.Operation{
		"CreateLogGroup":     awsproto.Op(s.createLogGroup),
		"CreateLogStream":    awsproto.Op(s.createLogStream),
		"PutLogEvents":       awsproto.Op(s.putLogEvents),
		"DescribeLogGroups":  awsproto.Op(s.describeLogGroups),
		"DescribeLogStreams": awsproto.Op(s.describeLogStreams),
		"GetLogEvents":       awsproto.Op(s.getLogEvents),
		"FilterLogEvents":    awsproto.Op(s.filterLogEvents),
		"DeleteLogGroup":     awsproto.Op(s.deleteLogGroup),
	}}
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.api.ServeHTTP(w, r) }

// Close closes the group files.
func (s *Service) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.groups {
		if g.file != nil {
			_ = g.file.Close()
		}
	}
	return nil
}

// record is one line of a group's file.
type record struct {
	Stream string `json:"s"`
	Event
}

func (s *Service) groupFile(name string) string {
	return filepath.Join(s.opts.DataDir, url.PathEscape(name)+".jsonl")
}

func (s *Service) replay() error {
	entries, err := os.ReadDir(s.opts.DataDir)
	if err != nil {
		return fmt.Errorf("read logs dir: %w", err)
	}
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), ".jsonl")
		if !ok {
			continue
		}
		name, err := url.PathUnescape(base)
		if err != nil {
			continue
		}
		g, err := s.ensureGroupLocked(name)
		if err != nil {
			return err
		}
		f, err := os.Open(s.groupFile(name))
		if err != nil {
			return fmt.Errorf("open log group %s: %w", name, err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64*1024), 4<<20)
		for sc.Scan() {
			var rec record
			if json.Unmarshal(sc.Bytes(), &rec) != nil {
				continue // a torn last line after a crash
			}
			appendEvent(g.stream(rec.Stream, rec.Timestamp), rec.Event)
		}
		f.Close()
	}
	return nil
}

func (g *group) stream(name string, created int64) *stream {
	st, ok := g.streams[name]
	if !ok {
		st = &stream{name: name, created: created}
		g.streams[name] = st
	}
	return st
}

func appendEvent(st *stream, e Event) {
	st.events = append(st.events, e)
	if len(st.events) > maxEventsPerStream {
		drop := len(st.events) - maxEventsPerStream/2
		st.dropped += int64(drop)
		st.events = append(st.events[:0:0], st.events[drop:]...)
	}
}

func (s *Service) ensureGroupLocked(name string) (*group, error) {
	if g, ok := s.groups[name]; ok {
		return g, nil
	}
	g := &group{name: name, created: s.opts.Now().UnixMilli(), streams: map[string]*stream{}}
	if s.opts.DataDir != "" {
		f, err := os.OpenFile(s.groupFile(name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, fmt.Errorf("open log group file %s: %w", name, err)
		}
		g.file = f
	}
	s.groups[name] = g
	return g, nil
}

// Append adds events to a stream, creating the group and stream as needed.
func (s *Service) Append(groupName, streamName string, events ...Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.ensureGroupLocked(groupName)
	if err != nil {
		return err
	}
	now := s.opts.Now().UnixMilli()
	st := g.stream(streamName, now)
	var buf []byte
	for _, e := range events {
		if e.IngestionTime == 0 {
			e.IngestionTime = now
		}
		appendEvent(st, e)
		if g.file != nil {
			b, _ := json.Marshal(record{Stream: streamName, Event: e})
			buf = append(append(buf, b...), '\n')
		}
	}
	if g.file != nil && len(buf) > 0 {
		if _, err := g.file.Write(buf); err != nil {
			return fmt.Errorf("append to log group %s: %w", groupName, err)
		}
	}
	return nil
}

// AppendLog adds one line; it satisfies the Lambda host's log sink. It has no
// error to return, so a failure goes to Options.Logger.
func (s *Service) AppendLog(groupName, streamName string, t time.Time, message string) {
	if err := s.Append(groupName, streamName, Event{Timestamp: t.UnixMilli(), Message: message}); err != nil {
		s.opts.Logger.Error("store log line", "group", groupName, "stream", streamName, "err", err)
	}
}

// CreateGroup creates a log group if it does not exist.
func (s *Service) CreateGroup(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.ensureGroupLocked(name)
	return err
}

// Events returns a copy of a stream's events, or of every stream of the group
// when streamName is empty, ordered by time.
func (s *Service) Events(groupName, streamName string) []Event {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, ok := s.groups[groupName]
	if !ok {
		return nil
	}
	var out []Event
	for name, st := range g.streams {
		if streamName == "" || name == streamName {
			out = append(out, st.events...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Timestamp < out[j].Timestamp })
	return out
}

func (s *Service) groupARN(name string) string {
	return fmt.Sprintf("arn:aws:logs:%s:000000000000:log-group:%s:*", s.opts.Region, name)
}

func (s *Service) streamARN(group, stream string) string {
	return fmt.Sprintf("arn:aws:logs:%s:000000000000:log-group:%s:log-stream:%s", s.opts.Region, group, stream)
}

func notFound(format string, args ...any) error {
	return awsproto.Errorf(http.StatusBadRequest, "ResourceNotFoundException", format, args...)
}

type groupIn struct {
	LogGroupName string `json:"logGroupName"`
}

func (s *Service) createLogGroup(_ context.Context, in *groupIn) (*struct{}, error) {
	if in.LogGroupName == "" {
		return nil, awsproto.Errorf(http.StatusBadRequest, "InvalidParameterException", "logGroupName is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[in.LogGroupName]; ok {
		return nil, awsproto.Errorf(http.StatusBadRequest, "ResourceAlreadyExistsException", "The specified log group already exists")
	}
	_, err := s.ensureGroupLocked(in.LogGroupName)
	return &struct{}{}, err
}

func (s *Service) deleteLogGroup(_ context.Context, in *groupIn) (*struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[in.LogGroupName]
	if !ok {
		return nil, notFound("The specified log group does not exist.")
	}
	if g.file != nil {
		_ = g.file.Close()
		_ = os.Remove(s.groupFile(in.LogGroupName))
	}
	delete(s.groups, in.LogGroupName)
	return &struct{}{}, nil
}

type streamIn struct {
	LogGroupName  string `json:"logGroupName"`
	LogStreamName string `json:"logStreamName"`
}

func (s *Service) createLogStream(_ context.Context, in *streamIn) (*struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[in.LogGroupName]
	if !ok {
		return nil, notFound("The specified log group does not exist.")
	}
	if _, ok := g.streams[in.LogStreamName]; ok {
		return nil, awsproto.Errorf(http.StatusBadRequest, "ResourceAlreadyExistsException", "The specified log stream already exists")
	}
	g.stream(in.LogStreamName, s.opts.Now().UnixMilli())
	return &struct{}{}, nil
}

type putIn struct {
	LogGroupName  string  `json:"logGroupName"`
	LogStreamName string  `json:"logStreamName"`
	LogEvents     []Event `json:"logEvents"`
}

type putOut struct {
	NextSequenceToken string `json:"nextSequenceToken"`
}

func (s *Service) putLogEvents(_ context.Context, in *putIn) (*putOut, error) {
	s.mu.RLock()
	g, ok := s.groups[in.LogGroupName]
	var st bool
	if ok {
		_, st = g.streams[in.LogStreamName]
	}
	s.mu.RUnlock()
	if !ok || !st {
		return nil, notFound("The specified log group or stream does not exist.")
	}
	if err := s.Append(in.LogGroupName, in.LogStreamName, in.LogEvents...); err != nil {
		return nil, err
	}
	return &putOut{NextSequenceToken: strconv.FormatInt(s.opts.Now().UnixNano(), 10)}, nil
}

type describeGroupsIn struct {
	LogGroupNamePrefix string `json:"logGroupNamePrefix"`
}

type groupDesc struct {
	LogGroupName string `json:"logGroupName"`
	Arn          string `json:"arn"`
	CreationTime int64  `json:"creationTime"`
	StoredBytes  int64  `json:"storedBytes"`
}

type describeGroupsOut struct {
	LogGroups []groupDesc `json:"logGroups"`
}

func (s *Service) describeLogGroups(_ context.Context, in *describeGroupsIn) (*describeGroupsOut, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := &describeGroupsOut{LogGroups: []groupDesc{}}
	for name, g := range s.groups {
		if !strings.HasPrefix(name, in.LogGroupNamePrefix) {
			continue
		}
		var size int64
		for _, st := range g.streams {
			for _, e := range st.events {
				size += int64(len(e.Message))
			}
		}
		out.LogGroups = append(out.LogGroups, groupDesc{LogGroupName: name, Arn: s.groupARN(name), CreationTime: g.created, StoredBytes: size})
	}
	sort.Slice(out.LogGroups, func(i, j int) bool { return out.LogGroups[i].LogGroupName < out.LogGroups[j].LogGroupName })
	return out, nil
}

type describeStreamsIn struct {
	LogGroupName        string `json:"logGroupName"`
	LogStreamNamePrefix string `json:"logStreamNamePrefix"`
	OrderBy             string `json:"orderBy"`
	Descending          bool   `json:"descending"`
}

type streamDesc struct {
	LogStreamName       string `json:"logStreamName"`
	Arn                 string `json:"arn"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp int64  `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  int64  `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   int64  `json:"lastIngestionTime,omitempty"`
}

type describeStreamsOut struct {
	LogStreams []streamDesc `json:"logStreams"`
}

func (s *Service) describeLogStreams(_ context.Context, in *describeStreamsIn) (*describeStreamsOut, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, ok := s.groups[in.LogGroupName]
	if !ok {
		return nil, notFound("The specified log group does not exist.")
	}
	out := &describeStreamsOut{LogStreams: []streamDesc{}}
	for name, st := range g.streams {
		if !strings.HasPrefix(name, in.LogStreamNamePrefix) {
			continue
		}
		d := streamDesc{LogStreamName: name, Arn: s.streamARN(g.name, name), CreationTime: st.created}
		if n := len(st.events); n > 0 {
			d.FirstEventTimestamp = st.events[0].Timestamp
			d.LastEventTimestamp = st.events[n-1].Timestamp
			d.LastIngestionTime = st.events[n-1].IngestionTime
		}
		out.LogStreams = append(out.LogStreams, d)
	}
	sort.Slice(out.LogStreams, func(i, j int) bool {
		a, b := out.LogStreams[i], out.LogStreams[j]
		less := a.LogStreamName < b.LogStreamName
		if in.OrderBy == "LastEventTime" {
			less = a.LastEventTimestamp < b.LastEventTimestamp
		}
		if in.Descending {
			return !less
		}
		return less
	})
	return out, nil
}

type getEventsIn struct {
	LogGroupName  string `json:"logGroupName"`
	LogStreamName string `json:"logStreamName"`
	StartTime     int64  `json:"startTime"`
	EndTime       int64  `json:"endTime"`
	Limit         int    `json:"limit"`
	StartFromHead bool   `json:"startFromHead"`
	NextToken     string `json:"nextToken"`
}

type getEventsOut struct {
	Events            []Event `json:"events"`
	NextForwardToken  string  `json:"nextForwardToken"`
	NextBackwardToken string  `json:"nextBackwardToken"`
}

// maxPage is the most events one GetLogEvents or FilterLogEvents call returns.
const maxPage = 10000

// pageLimit resolves a request's limit: maxPage when absent or larger.
func pageLimit(limit int) int {
	if limit <= 0 || limit > maxPage {
		return maxPage
	}
	return limit
}

// GetLogEvents tokens are "f/<position>" (read forward from the position) and
// "b/<position>" (read backward from just before it), positions counting
// every event ever appended to the stream. Reading forward past the last event
// returns no events and the token it was given, which is how CloudWatch Logs
// tells a reader it has reached the end (so does reading backward past the
// first event).
func streamToken(dir byte, pos int64) string { return fmt.Sprintf("%c/%020d", dir, pos) }

func parseStreamToken(tok string) (dir byte, pos int64, err error) {
	d, num, ok := strings.Cut(tok, "/")
	if ok && (d == "f" || d == "b") {
		if pos, err = strconv.ParseInt(num, 10, 64); err == nil && pos >= 0 {
			return d[0], pos, nil
		}
	}
	return 0, 0, awsproto.Errorf(http.StatusBadRequest, "InvalidParameterException", "The specified nextToken is invalid.")
}

func (s *Service) getLogEvents(_ context.Context, in *getEventsIn) (*getEventsOut, error) {
	limit := pageLimit(in.Limit)
	dir, pos := byte('b'), int64(-1) // -1: from the end
	if in.StartFromHead {
		dir, pos = 'f', 0
	}
	if in.NextToken != "" {
		var err error
		if dir, pos, err = parseStreamToken(in.NextToken); err != nil {
			return nil, err
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, ok := s.groups[in.LogGroupName]
	var st *stream
	if ok {
		st = g.streams[in.LogStreamName]
	}
	if st == nil {
		return nil, notFound("The specified log group or stream does not exist.")
	}
	within := func(e Event) bool {
		return (in.StartTime == 0 || e.Timestamp >= in.StartTime) && (in.EndTime == 0 || e.Timestamp < in.EndTime)
	}
	first, end := st.dropped, st.dropped+int64(len(st.events))
	out := &getEventsOut{Events: []Event{}}
	if dir == 'f' {
		from := min(max(pos, first), end)
		next := end // unless the page fills up first
		for p := from; p < end; p++ {
			if e := st.events[p-first]; within(e) {
				if len(out.Events) == limit {
					next = p
					break
				}
				out.Events = append(out.Events, e)
			}
		}
		if len(out.Events) == 0 {
			next = max(pos, from) // nothing new: hand the caller's token back
		}
		out.NextForwardToken, out.NextBackwardToken = streamToken('f', next), streamToken('b', from)
		return out, nil
	}
	upTo := end
	if pos >= 0 {
		upTo = min(max(pos, first), end)
	}
	prev := first // unless the page fills up first
	for p := upTo - 1; p >= first; p-- {
		if e := st.events[p-first]; within(e) {
			if len(out.Events) == limit {
				prev = p + 1
				break
			}
			out.Events = append(out.Events, e)
		}
	}
	slices.Reverse(out.Events)
	if len(out.Events) == 0 && pos >= 0 {
		prev = pos
	}
	out.NextForwardToken, out.NextBackwardToken = streamToken('f', upTo), streamToken('b', prev)
	return out, nil
}

type filterIn struct {
	LogGroupName        string   `json:"logGroupName"`
	LogStreamNames      []string `json:"logStreamNames"`
	LogStreamNamePrefix string   `json:"logStreamNamePrefix"`
	FilterPattern       string   `json:"filterPattern"`
	StartTime           int64    `json:"startTime"`
	EndTime             int64    `json:"endTime"`
	Limit               int      `json:"limit"`
	NextToken           string   `json:"nextToken"`
}

type filteredEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

type filterOut struct {
	Events    []filteredEvent `json:"events"`
	NextToken string          `json:"nextToken,omitempty"`
}

// filterKey orders FilterLogEvents results: by time, then stream, then the
// event's position in its stream. A nextToken is the key of the last event
// returned, so later pages are stable while events are appended.
type filterKey struct {
	Timestamp int64  `json:"t"`
	Stream    string `json:"s"`
	Pos       int64  `json:"p"`
}

func (k filterKey) less(o filterKey) bool {
	if k.Timestamp != o.Timestamp {
		return k.Timestamp < o.Timestamp
	}
	if k.Stream != o.Stream {
		return k.Stream < o.Stream
	}
	return k.Pos < o.Pos
}

func (k filterKey) token() string {
	b, _ := json.Marshal(k)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseFilterToken(tok string) (filterKey, error) {
	var k filterKey
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err == nil {
		err = json.Unmarshal(b, &k)
	}
	if err != nil {
		return k, awsproto.Errorf(http.StatusBadRequest, "InvalidParameterException", "The specified nextToken is invalid.")
	}
	return k, nil
}

func eventID(k filterKey) string {
	h := fnv.New32a()
	h.Write([]byte(k.Stream))
	return fmt.Sprintf("%d%010d%020d", k.Timestamp, h.Sum32(), k.Pos)
}

func (s *Service) filterLogEvents(_ context.Context, in *filterIn) (*filterOut, error) {
	var after *filterKey
	if in.NextToken != "" {
		k, err := parseFilterToken(in.NextToken)
		if err != nil {
			return nil, err
		}
		after = &k
	}
	limit := pageLimit(in.Limit)
	match := compileFilter(in.FilterPattern)
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, ok := s.groups[in.LogGroupName]
	if !ok {
		return nil, notFound("The specified log group does not exist.")
	}
	wanted := map[string]bool{}
	for _, n := range in.LogStreamNames {
		wanted[n] = true
	}
	type hit struct {
		key filterKey
		e   Event
	}
	var hits []hit
	for name, st := range g.streams {
		if (len(wanted) > 0 && !wanted[name]) || !strings.HasPrefix(name, in.LogStreamNamePrefix) {
			continue
		}
		for i, e := range st.events {
			if (in.StartTime != 0 && e.Timestamp < in.StartTime) || (in.EndTime != 0 && e.Timestamp >= in.EndTime) {
				continue
			}
			k := filterKey{Timestamp: e.Timestamp, Stream: name, Pos: st.dropped + int64(i)}
			if (after == nil || after.less(k)) && match(e.Message) {
				hits = append(hits, hit{k, e})
			}
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].key.less(hits[j].key) })
	out := &filterOut{Events: []filteredEvent{}}
	if len(hits) > limit {
		hits = hits[:limit]
		out.NextToken = hits[limit-1].key.token()
	}
	for _, h := range hits {
		out.Events = append(out.Events, filteredEvent{LogStreamName: h.key.Stream, Timestamp: h.e.Timestamp, Message: h.e.Message,
			IngestionTime: h.e.IngestionTime, EventID: eventID(h.key)})
	}
	return out, nil
}

// compileFilter turns a filter pattern of terms and "quoted phrases" into a
// matcher that needs every term (a leading - excludes a term). An empty pattern
// matches everything.
func compileFilter(pattern string) func(string) bool {
	var include, exclude []string
	rest := strings.TrimSpace(pattern)
	for rest != "" {
		var term string
		neg := false
		if strings.HasPrefix(rest, "-") {
			neg = true
			rest = rest[1:]
		}
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				term, rest = rest[1:], ""
			} else {
				term, rest = rest[1:end+1], rest[end+2:]
			}
		} else {
			term, rest, _ = strings.Cut(rest, " ")
		}
		rest = strings.TrimSpace(rest)
		if term == "" {
			continue
		}
		if neg {
			exclude = append(exclude, term)
		} else {
			include = append(include, term)
		}
	}
	return func(msg string) bool {
		for _, t := range include {
			if !strings.Contains(msg, t) {
				return false
			}
		}
		for _, t := range exclude {
			if strings.Contains(msg, t) {
				return false
			}
		}
		return true
	}
}

package tracing

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dragons-dev/dragons/local/awsproto"
)

// ServeHTTP serves the X-Ray REST-JSON API subset: GetTraceSummaries,
// BatchGetTraces and PutTraceSegments.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		writeErr(w, awsproto.Errorf(http.StatusBadRequest, "InvalidRequestException", "read body: %v", err))
		return
	}
	if r.Method != http.MethodPost {
		writeErr(w, awsproto.Errorf(http.StatusNotFound, "UnknownOperationException", "unknown X-Ray operation %s %s", r.Method, r.URL.Path))
		return
	}
	var out any
	switch r.URL.Path {
	case "/TraceSummaries":
		out, err = s.getTraceSummaries(body)
	case "/Traces":
		out, err = s.batchGetTraces(body)
	case "/TraceSegments":
		out, err = s.putTraceSegments(body)
	default:
		err = awsproto.Errorf(http.StatusNotFound, "UnknownOperationException", "unknown X-Ray operation %s %s", r.Method, r.URL.Path)
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	b, _ := json.Marshal(out)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func writeErr(w http.ResponseWriter, err error) {
	awsproto.WriteJSONError(w, "application/json", "", awsproto.AsError(err))
}

func (s *Service) putTraceSegments(body []byte) (any, error) {
	var in struct{ TraceSegmentDocuments []string }
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, awsproto.Errorf(http.StatusBadRequest, "InvalidRequestException", "decode request: %v", err)
	}
	type unprocessed struct{ Id, ErrorCode, Message string }
	out := struct{ UnprocessedTraceSegments []unprocessed }{UnprocessedTraceSegments: []unprocessed{}}
	for _, d := range in.TraceSegmentDocuments {
		if err := s.PutDocument([]byte(d)); err != nil {
			out.UnprocessedTraceSegments = append(out.UnprocessedTraceSegments, unprocessed{ErrorCode: "InvalidSegment", Message: err.Error()})
		}
	}
	return out, nil
}

func (s *Service) batchGetTraces(body []byte) (any, error) {
	var in struct{ TraceIds []string }
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, awsproto.Errorf(http.StatusBadRequest, "InvalidRequestException", "decode request: %v", err)
	}
	type seg struct{ Id, Document string }
	type tr struct {
		Id       string
		Duration float64
		Segments []seg
	}
	out := struct {
		Traces              []tr
		UnprocessedTraceIds []string
	}{Traces: []tr{}, UnprocessedTraceIds: []string{}}
	for _, id := range in.TraceIds {
		segs := s.Trace(id)
		if segs == nil {
			out.UnprocessedTraceIds = append(out.UnprocessedTraceIds, id)
			continue
		}
		t := tr{Id: id, Duration: duration(segs)}
		for _, sg := range segs {
			b, _ := json.Marshal(sg.Document)
			t.Segments = append(t.Segments, seg{Id: sg.ID, Document: string(b)})
		}
		out.Traces = append(out.Traces, t)
	}
	return out, nil
}

func duration(segs []TraceSegment) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, sg := range segs {
		if v, ok := sg.Document["start_time"].(float64); ok && v < lo {
			lo = v
		}
		if v, ok := sg.Document["end_time"].(float64); ok && v > hi {
			hi = v
		}
	}
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return 0
	}
	return math.Round((hi-lo)*1000) / 1000
}

// epochTime accepts the epoch-seconds numbers the SDKs send.
type epochTime float64

func (e *epochTime) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		*e = epochTime(f)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return err
	}
	*e = epochTime(float64(t.UnixNano()) / 1e9)
	return nil
}

func (e epochTime) time() time.Time {
	sec, frac := math.Modf(float64(e))
	return time.Unix(int64(sec), int64(frac*1e9))
}

func (s *Service) getTraceSummaries(body []byte) (any, error) {
	var in struct {
		StartTime        epochTime
		EndTime          epochTime
		FilterExpression string
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, awsproto.Errorf(http.StatusBadRequest, "InvalidRequestException", "decode request: %v", err)
	}
	filter, err := compileFilter(in.FilterExpression)
	if err != nil {
		return nil, err
	}
	to := in.EndTime.time()
	if in.EndTime == 0 {
		to = s.opts.Now()
	}
	summaries := []map[string]any{}
	for _, id := range s.TraceIDs(in.StartTime.time(), to) {
		segs := s.Trace(id)
		sum := summarize(id, segs)
		if filter(sum, segs) {
			summaries = append(summaries, sum)
		}
	}
	return map[string]any{
		"TraceSummaries":       summaries,
		"ApproximateTime":      float64(s.opts.Now().Unix()),
		"TracesProcessedCount": len(summaries),
	}, nil
}

func summarize(id string, segs []TraceSegment) map[string]any {
	hasErr, hasFault := false, false
	annotations := map[string][]any{}
	services := []any{}
	seen := map[string]bool{}
	var walk func(d map[string]any, top bool)
	walk = func(d map[string]any, top bool) {
		if b, _ := d["error"].(bool); b {
			hasErr = true
		}
		if b, _ := d["fault"].(bool); b {
			hasFault = true
		}
		if a, ok := d["annotations"].(map[string]any); ok {
			for k, v := range a {
				annotations[k] = append(annotations[k], map[string]any{"AnnotationValue": annotationValue(v)})
			}
		}
		if top {
			name, _ := d["name"].(string)
			origin, _ := d["origin"].(string)
			key := name + "|" + origin
			if name != "" && !seen[key] {
				seen[key] = true
				services = append(services, map[string]any{"Name": name, "Type": origin})
			}
		}
		subs, _ := d["subsegments"].([]any)
		for _, sub := range subs {
			if m, ok := sub.(map[string]any); ok {
				walk(m, false)
			}
		}
	}
	for _, sg := range segs {
		walk(sg.Document, true)
	}
	d := duration(segs)
	sum := map[string]any{
		"Id": id, "Duration": d, "ResponseTime": d,
		"HasError": hasErr, "HasFault": hasFault, "HasThrottle": false, "IsPartial": false,
		"Annotations": annotations, "ServiceIds": services,
	}
	if len(segs) > 0 {
		if st, ok := segs[0].Document["start_time"].(float64); ok {
			sum["StartTime"] = st
		}
	}
	return sum
}

func annotationValue(v any) map[string]any {
	switch x := v.(type) {
	case string:
		return map[string]any{"StringValue": x}
	case float64:
		return map[string]any{"NumberValue": x}
	case bool:
		return map[string]any{"BooleanValue": x}
	}
	return map[string]any{"StringValue": fmt.Sprint(v)}
}

var (
	annotationTerm = regexp.MustCompile(`^annotation\.([A-Za-z0-9_]+)\s*=\s*(?:"([^"]*)"|(-?[0-9.]+)|(true|false))$`)
	serviceTerm    = regexp.MustCompile(`^service\("([^"]*)"\)$`)
)

// compileFilter supports the filter expressions most used when debugging:
// annotation.KEY = "value" | number | boolean, and service("name"), joined by AND.
func compileFilter(expr string) (func(map[string]any, []TraceSegment) bool, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return func(map[string]any, []TraceSegment) bool { return true }, nil
	}
	var terms []func(map[string]any, []TraceSegment) bool
	for _, part := range regexp.MustCompile(`(?i)\s+and\s+`).Split(expr, -1) {
		part = strings.TrimSpace(part)
		if m := annotationTerm.FindStringSubmatch(part); m != nil {
			key := m[1]
			var want any = m[2]
			if m[3] != "" {
				f, _ := strconv.ParseFloat(m[3], 64)
				want = f
			} else if m[4] != "" {
				want = m[4] == "true"
			}
			terms = append(terms, func(sum map[string]any, _ []TraceSegment) bool {
				vals, _ := sum["Annotations"].(map[string][]any)
				for _, v := range vals[key] {
					av := v.(map[string]any)["AnnotationValue"].(map[string]any)
					for _, x := range av {
						if x == want {
							return true
						}
					}
				}
				return false
			})
			continue
		}
		if m := serviceTerm.FindStringSubmatch(part); m != nil {
			name := m[1]
			terms = append(terms, func(sum map[string]any, _ []TraceSegment) bool {
				for _, s := range sum["ServiceIds"].([]any) {
					if s.(map[string]any)["Name"] == name {
						return true
					}
				}
				return false
			})
			continue
		}
		return nil, awsproto.Errorf(http.StatusBadRequest, "InvalidRequestException", "unsupported filter expression %q: the local X-Ray supports annotation.KEY = VALUE and service(\"name\") joined by AND", part)
	}
	return func(sum map[string]any, segs []TraceSegment) bool {
		for _, t := range terms {
			if !t(sum, segs) {
				return false
			}
		}
		return true
	}, nil
}

package logs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

const maxPagesInTest = 20 // a paginator that has not stopped by then never will

func messages(evs []types.OutputLogEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, aws.ToString(e.Message))
	}
	return out
}

func lines(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s %02d", prefix, i))
	}
	return out
}

// serve starts an in-memory Service behind an HTTP server and returns it with
// an SDK client pointed at the server; both stop when the test ends.
func serve(t *testing.T) (*Service, *cloudwatchlogs.Client) {
	t.Helper()
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		srv.Close()
		_ = s.Close()
	})
	return s, client(srv.URL)
}

func TestGetLogEventsPagesForwardAndBackward(t *testing.T) {
	s, c := serve(t)
	ctx := context.Background()
	base := time.Now().Add(-time.Hour)
	for i := 0; i < 25; i++ {
		s.AppendLog("/aws/lambda/fn", "a", base.Add(time.Duration(i)*time.Millisecond), fmt.Sprintf("line %02d", i))
	}
	in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/aws/lambda/fn"), LogStreamName: aws.String("a"),
		StartFromHead: aws.Bool(true), Limit: aws.Int32(10)}

	// The SDK's paginator follows nextForwardToken until the token repeats.
	p := cloudwatchlogs.NewGetLogEventsPaginator(c, in, func(o *cloudwatchlogs.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	var got []string
	var sizes []int
	for p.HasMorePages() {
		if len(sizes) == maxPagesInTest {
			t.Fatalf("paginator still going after %d pages (sizes %v)", maxPagesInTest, sizes)
		}
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page.Events))
		got = append(got, messages(page.Events)...)
	}
	if want := lines("line", 0, 25); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("forward pages (sizes %v) = %v", sizes, got)
	}
	if fmt.Sprint(sizes) != "[10 10 5 0]" {
		t.Fatalf("page sizes = %v, want [10 10 5 0]", sizes)
	}

	// At the end, the same forward token comes back with no events; events
	// appended later are read with that token.
	last, err := c.GetLogEvents(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if last, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: in.LogGroupName, LogStreamName: in.LogStreamName,
			Limit: aws.Int32(100), NextToken: last.NextForwardToken}); err != nil {
			t.Fatal(err)
		}
	}
	end := aws.ToString(last.NextForwardToken)
	again, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: in.LogGroupName, LogStreamName: in.LogStreamName, NextToken: aws.String(end)})
	if err != nil || len(again.Events) != 0 || aws.ToString(again.NextForwardToken) != end {
		t.Fatalf("at the end: %v, %d events, token %q, want none and %q", err, len(again.Events), aws.ToString(again.NextForwardToken), end)
	}
	s.AppendLog("/aws/lambda/fn", "a", base.Add(time.Second), "late 00")
	more, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: in.LogGroupName, LogStreamName: in.LogStreamName, NextToken: aws.String(end)})
	if err != nil || fmt.Sprint(messages(more.Events)) != "[late 00]" || aws.ToString(more.NextForwardToken) == end {
		t.Fatalf("after an append: %v %v %q", err, messages(more.Events), aws.ToString(more.NextForwardToken))
	}

	// Backward from the newest events to the first; then the same backward
	// token with no events.
	var back [][]string
	tok := (*string)(nil)
	for i := 0; ; i++ {
		if i == maxPagesInTest {
			t.Fatalf("backward paging never ended: %v", back)
		}
		page, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: in.LogGroupName, LogStreamName: in.LogStreamName,
			Limit: aws.Int32(10), NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) == 0 {
			if aws.ToString(page.NextBackwardToken) != aws.ToString(tok) {
				t.Fatalf("empty backward page changed the token %q to %q", aws.ToString(tok), aws.ToString(page.NextBackwardToken))
			}
			break
		}
		back = append(back, messages(page.Events))
		tok = page.NextBackwardToken
	}
	want := fmt.Sprint([][]string{append(lines("line", 16, 25), "late 00"), lines("line", 6, 16), lines("line", 0, 6)})
	if fmt.Sprint(back) != want {
		t.Fatalf("backward pages = %v, want %v", back, want)
	}

	// A time window applies to every page.
	win, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: in.LogGroupName, LogStreamName: in.LogStreamName, StartFromHead: aws.Bool(true),
		StartTime: aws.Int64(base.Add(5 * time.Millisecond).UnixMilli()), EndTime: aws.Int64(base.Add(8 * time.Millisecond).UnixMilli()), Limit: aws.Int32(2)})
	if err != nil || fmt.Sprint(messages(win.Events)) != "[line 05 line 06]" {
		t.Fatalf("window page 1 = %v %v", err, messages(win.Events))
	}
	win, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: in.LogGroupName, LogStreamName: in.LogStreamName,
		StartTime: aws.Int64(base.Add(5 * time.Millisecond).UnixMilli()), EndTime: aws.Int64(base.Add(8 * time.Millisecond).UnixMilli()), Limit: aws.Int32(2), NextToken: win.NextForwardToken})
	if err != nil || fmt.Sprint(messages(win.Events)) != "[line 07]" {
		t.Fatalf("window page 2 = %v %v", err, messages(win.Events))
	}

	_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: in.LogGroupName, LogStreamName: in.LogStreamName, NextToken: aws.String("garbage")})
	var bad *types.InvalidParameterException
	if !errorsAs(err, &bad) {
		t.Fatalf("bad token error = %v", err)
	}
}

func TestForwardTokenSurvivesDroppingOldEvents(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	for i := 0; i < 10; i++ {
		s.AppendLog("g", "s", now, fmt.Sprintf("first %d", i))
	}
	page, err := s.getLogEvents(ctx, &getEventsIn{LogGroupName: "g", LogStreamName: "s", StartFromHead: true})
	if err != nil || len(page.Events) != 10 {
		t.Fatalf("first read = %v %d", err, len(page.Events))
	}
	for i := 0; i < maxEventsPerStream; i++ {
		s.AppendLog("g", "s", now, fmt.Sprintf("more %d", i))
	}
	page, err = s.getLogEvents(ctx, &getEventsIn{LogGroupName: "g", LogStreamName: "s", NextToken: page.NextForwardToken, Limit: 1})
	if err != nil || len(page.Events) != 1 {
		t.Fatalf("read after dropping = %v %+v", err, page)
	}
	// The first events were dropped to bound memory: the token resumes at the
	// oldest event still kept, not some way after it.
	kept := s.Events("g", "s")
	if len(kept) >= 10+maxEventsPerStream {
		t.Fatalf("no event was dropped (%d kept)", len(kept))
	}
	if want := kept[0].Message; page.Events[0].Message != want {
		t.Fatalf("resumed at %q, want %q", page.Events[0].Message, want)
	}
}

func TestFilterLogEventsPaginatorEnds(t *testing.T) {
	s, c := serve(t)
	base := time.Now().Add(-time.Hour)
	var want []string
	for i := 0; i < 37; i++ {
		stream := []string{"a", "b"}[i%2]
		msg := fmt.Sprintf("dragon %02d", i)
		s.AppendLog("/g", stream, base.Add(time.Duration(i)*time.Millisecond), msg)
		s.AppendLog("/g", stream, base.Add(time.Duration(i)*time.Millisecond), "noise")
		want = append(want, stream+":"+msg)
	}
	p := cloudwatchlogs.NewFilterLogEventsPaginator(c, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/g"),
		FilterPattern: aws.String("dragon"), Limit: aws.Int32(10)})
	var got []string
	var sizes []int
	for p.HasMorePages() {
		if len(sizes) == maxPagesInTest {
			t.Fatalf("paginator still going after %d pages", maxPagesInTest)
		}
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page.Events))
		for _, e := range page.Events {
			got = append(got, aws.ToString(e.LogStreamName)+":"+aws.ToString(e.Message))
		}
		if len(page.Events) < 10 && page.NextToken != nil {
			t.Fatalf("a short last page still has a nextToken %q", aws.ToString(page.NextToken))
		}
	}
	if fmt.Sprint(sizes) != "[10 10 10 7]" || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("pages %v = %v", sizes, got)
	}
	ids := map[string]bool{}
	all, err := c.FilterLogEvents(context.Background(), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/g")})
	if err != nil || len(all.Events) != 74 || all.NextToken != nil {
		t.Fatalf("unpaged filter = %v, %d events", err, len(all.Events))
	}
	for _, e := range all.Events {
		ids[aws.ToString(e.EventId)] = true
	}
	if len(ids) != 74 {
		t.Fatalf("%d distinct event ids for 74 events", len(ids))
	}
}

func TestAppendLogReportsStoreErrors(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	s, err := New(Options{DataDir: dir, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A directory where the group's journal file should be makes it unopenable.
	if err := os.Mkdir(filepath.Join(dir, url.PathEscape("/aws/lambda/broken")+".jsonl"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.AppendLog("/aws/lambda/broken", "s", time.Now(), "lost line")
	out := buf.String()
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "/aws/lambda/broken") || !strings.Contains(out, "is a directory") {
		t.Fatalf("logger output = %q, want the store error", out)
	}
}

func errorsAs[T error](err error, target *T) bool { return errors.As(err, target) }

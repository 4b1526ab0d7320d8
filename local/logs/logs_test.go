package logs

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

func client(url string) *cloudwatchlogs.Client {
	return cloudwatchlogs.New(cloudwatchlogs.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
}

func TestLogsAPIThroughSDKAndRestart(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	c := client(srv.URL)
	ctx := context.Background()
	now := time.Now().UnixMilli()

	s.AppendLog("/aws/lambda/fn", "stream-a", time.UnixMilli(now), "START RequestId: 1")
	s.AppendLog("/aws/lambda/fn", "stream-a", time.UnixMilli(now+1), `{"level":"INFO","msg":"dragon added","dragon":"Ember"}`)
	s.AppendLog("/aws/lambda/fn", "stream-b", time.UnixMilli(now+2), "dragon rejected Ember")

	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/custom")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/custom")})
	var exists *types.ResourceAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("duplicate group error = %v", err)
	}
	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/custom"), LogStreamName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/custom"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(now), Message: aws.String("hello")}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/nope"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(now), Message: aws.String("x")}}})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("missing group error = %v", err)
	}

	groups, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/")})
	if err != nil || len(groups.LogGroups) != 1 || aws.ToString(groups.LogGroups[0].LogGroupName) != "/aws/lambda/fn" {
		t.Fatalf("groups = %v %+v", err, groups)
	}
	streams, err := c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/aws/lambda/fn")})
	if err != nil || len(streams.LogStreams) != 2 {
		t.Fatalf("streams = %v %+v", err, streams)
	}
	got, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/aws/lambda/fn"), LogStreamName: aws.String("stream-a"), StartFromHead: aws.Bool(true)})
	if err != nil || len(got.Events) != 2 || aws.ToString(got.Events[0].Message) != "START RequestId: 1" {
		t.Fatalf("events = %v %+v", err, got)
	}
	f, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/fn"), FilterPattern: aws.String(`Ember -rejected`)})
	if err != nil || len(f.Events) != 1 || aws.ToString(f.Events[0].LogStreamName) != "stream-a" {
		t.Fatalf("filter = %v %+v", err, f)
	}
	f, err = c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/fn"), FilterPattern: aws.String(`"dragon rejected"`)})
	if err != nil || len(f.Events) != 1 || aws.ToString(f.Events[0].LogStreamName) != "stream-b" {
		t.Fatalf("phrase filter = %v %+v", err, f)
	}
	srv.Close()
	s.Close()

	s2, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if n := len(s2.Events("/aws/lambda/fn", "")); n != 3 {
		t.Fatalf("after restart the group holds %d events, want 3", n)
	}
	if n := len(s2.Events("/custom", "s")); n != 1 {
		t.Fatalf("after restart /custom holds %d events, want 1", n)
	}
}

package main

import (
	"testing"

	"github.com/dragons-dev/dragons/local/durable"
)

func TestRegionComesFromAWSRegion(t *testing.T) {
	for env, want := range map[string]string{"": "us-east-1", "eu-central-1": "eu-central-1", " ap-south-1 ": "ap-south-1"} {
		got := region(func(k string) string {
			if k == "AWS_REGION" {
				return env
			}
			return ""
		})
		if got != want {
			t.Errorf("AWS_REGION=%q: region %q, want %q", env, got, want)
		}
	}
}

func TestIgnoredReportGroupsProperties(t *testing.T) {
	got := ignoredReport([]string{"Alarm"}, []string{
		"Bucket.Tags: tags are not kept",
		"FnA.Policies: IAM is not enforced locally",
		"FnB.Policies: IAM is not enforced locally",
		"FnB.LoggingConfig.LogFormat: function output is stored as written",
	})
	want := "Template resources with no local behaviour (ignored): Alarm\n\n" +
		"Template properties accepted but not applied locally:\n" +
		"  LoggingConfig.LogFormat (FnB): function output is stored as written\n" +
		"  Policies (FnA, FnB): IAM is not enforced locally\n" +
		"  Tags (Bucket): tags are not kept\n\n"
	if got != want {
		t.Fatalf("report =\n%s\nwant\n%s", got, want)
	}
	if ignoredReport(nil, nil) != "" {
		t.Fatal("an empty report printed something")
	}
}

func TestFsyncFlagSelectsDiskDurability(t *testing.T) {
	if durability(false) != durable.Process || durability(true) != durable.Disk {
		t.Fatalf("durability(false) = %v, durability(true) = %v; want process, disk", durability(false), durability(true))
	}
	for _, c := range []struct {
		ephemeral, fsync bool
		want             string
	}{
		{false, false, ".dragons (survives kill -9; --fsync: power loss too)"},
		{false, true, ".dragons (synced to the disk before every answer: survives kill -9 and power loss)"},
		{true, false, "in memory (--ephemeral)"},
	} {
		if got := stateLine(".dragons", c.ephemeral, c.fsync); got != c.want {
			t.Errorf("stateLine(ephemeral=%v, fsync=%v) = %q, want %q", c.ephemeral, c.fsync, got, c.want)
		}
	}
}

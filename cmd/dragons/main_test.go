package main

import "testing"

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

package cloud

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/dragons-dev/dragons/local/stack"
)

// TestHealthAndStackWhileDeploying reads /_local/health and /_local/stack
// while a deployment publishes its stack; run with -race.
func TestHealthAndStackWhileDeploying(t *testing.T) {
	c, err := Start(context.Background(), Config{Ephemeral: true, EdgeAddr: "127.0.0.1:0", APIAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, path := range []string{"/_local/health", "/_local/stack"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := http.Get(c.EdgeURL + path)
				if err != nil {
					t.Errorf("GET %s: %v", path, err)
					return
				}
				resp.Body.Close()
			}
		}()
	}
	for i := 0; i < 50; i++ {
		c.publish(&stack.Stack{Resources: map[string]*stack.Resource{"B": {Type: "AWS::S3::Bucket", Ref: "b"}},
			APIURLs: map[string]string{"Api": "http://127.0.0.1:1"}})
	}
	close(stop)
	wg.Wait()

	resp, err := http.Get(c.EdgeURL + "/_local/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if h["api"] != "http://127.0.0.1:1" || h["edge"] != c.EdgeURL || h["region"] != "us-east-1" {
		t.Fatalf("health = %v", h)
	}
}

func TestRegionIsServed(t *testing.T) {
	c, err := Start(context.Background(), Config{Ephemeral: true, EdgeAddr: "127.0.0.1:0", APIAddr: "127.0.0.1:0", Region: "eu-west-2"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	for path, key := range map[string]string{"/_local/health": "region", StackDetailsPath: "Region"} {
		resp, err := http.Get(c.EdgeURL + path)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		err = json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if err != nil || m[key] != "eu-west-2" {
			t.Fatalf("%s: %v %v", path, m, err)
		}
	}
}

// TestStackMapsLogicalIDsToPhysicalIDs checks the contract of /_local/stack:
// each logical id maps to a string (an API to its URL, anything else to what
// !Ref returns), and the details endpoint keeps types and attributes.
func TestStackMapsLogicalIDsToPhysicalIDs(t *testing.T) {
	c, err := Start(context.Background(), Config{Ephemeral: true, EdgeAddr: "127.0.0.1:0", APIAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	c.publish(&stack.Stack{Resources: map[string]*stack.Resource{
		"Bucket": {Type: "AWS::S3::Bucket", Ref: "my-bucket", Attrs: map[string]any{"Arn": "arn:aws:s3:::my-bucket"}},
		"Api":    {Type: "AWS::Serverless::Api", Ref: "abc123", Attrs: map[string]any{"Url": "http://127.0.0.1:9"}},
	}})
	get := func(path string) map[string]any {
		resp, err := http.Get(c.EdgeURL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	st := get("/_local/stack")
	if len(st) != 2 || st["Bucket"] != "my-bucket" || st["Api"] != "http://127.0.0.1:9" {
		t.Fatalf("/_local/stack = %v", st)
	}
	d := get(StackDetailsPath)
	res, _ := d["Resources"].(map[string]any)
	b, _ := res["Bucket"].(map[string]any)
	if b["type"] != "AWS::S3::Bucket" || b["Arn"] != "arn:aws:s3:::my-bucket" || d["EdgeUrl"] != c.EdgeURL {
		t.Fatalf("details = %v", d)
	}
}

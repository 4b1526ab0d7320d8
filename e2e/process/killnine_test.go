package process

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func s3Client(edgeURL string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(edgeURL),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		UsePathStyle: true,
	})
}

// readCatalog reads Dragons.json through S3 GetObject; it is an error unless
// the object parses as a JSON array of objects.
func readCatalog(ctx context.Context, c *s3.Client, bucket string) ([]map[string]any, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("Dragons.json")})
	if err != nil {
		return nil, fmt.Errorf("get Dragons.json: %w", err)
	}
	defer out.Body.Close()
	raw, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("read Dragons.json: %w", err)
	}
	var list []map[string]any
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("Dragons.json (%d bytes) is not a JSON array of records: %w", len(raw), err)
	}
	return list, nil
}

// readStatus reads the status record executions/{id}.json; found is false
// when the object does not exist.
func readStatus(ctx context.Context, c *s3.Client, bucket, id string) (rec map[string]any, found bool, err error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("executions/" + id + ".json")})
	var missing *types.NoSuchKey
	if errors.As(err, &missing) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("get status record %s: %w", id, err)
	}
	defer out.Body.Close()
	raw, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, false, fmt.Errorf("read status record %s: %w", id, err)
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, false, fmt.Errorf("status record %s is not a JSON object: %w: %.200s", id, err, raw)
	}
	return rec, true, nil
}

// storedName is the dragon name of a status record's stored dragon.
func storedName(rec map[string]any) string {
	d, _ := rec["dragon"].(map[string]any)
	s, _ := d["dragon_name_str"].(string)
	return s
}

// nameCounts counts catalog records per dragon name (trimmed, case-folded, as
// the app compares names).
func nameCounts(list []map[string]any) map[string]int {
	n := map[string]int{}
	for _, d := range list {
		name, _ := d["dragon_name_str"].(string)
		n[strings.ToLower(strings.TrimSpace(name))]++
	}
	return n
}

func dragonBody(name string) []byte {
	b, _ := json.Marshal(map[string]any{
		"dragonName": name, "family": "ember", "description": "Submitted while the local cloud was being killed.",
		"city": "reno", "state": "nevada", "country": "usa", "neighborhood": "midtown",
	})
	return b
}

// post submits a dragon and returns the status and the execution id of a 202.
func post(ctx context.Context, apiURL, token, name string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, apiURL+"/dragons", bytes.NewReader(dragonBody(name)))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, "", err
	}
	if resp.StatusCode != http.StatusAccepted {
		return resp.StatusCode, "", fmt.Errorf("POST /dragons %s = %d %.200s", name, resp.StatusCode, body)
	}
	var a struct{ ExecutionID, Status string }
	if err := json.Unmarshal(body, &a); err != nil || a.ExecutionID == "" || a.Status != "ACCEPTED" {
		return resp.StatusCode, "", fmt.Errorf("POST /dragons %s: 202 body %.200s", name, body)
	}
	return resp.StatusCode, a.ExecutionID, nil
}

// catalogHistory says which versions of Dragons.json held a dragon name, to
// tell a write that never happened from one that was lost.
func catalogHistory(ctx context.Context, c *s3.Client, bucket, name string) string {
	var held []string
	total := 0
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String("Dragons.json")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Sprintf("(list versions of Dragons.json: %v)", err)
		}
		for _, v := range page.Versions {
			if aws.ToString(v.Key) != "Dragons.json" {
				continue
			}
			total++
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: v.Key, VersionId: v.VersionId})
			if err != nil {
				return fmt.Sprintf("(get version %s: %v)", aws.ToString(v.VersionId), err)
			}
			raw, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if bytes.Contains(raw, []byte(name)) {
				held = append(held, fmt.Sprintf("%s@%s(latest=%v)", aws.ToString(v.VersionId), aws.ToTime(v.LastModified).Format("15:04:05.000"), aws.ToBool(v.IsLatest)))
			}
		}
	}
	return fmt.Sprintf("%d of %d versions of Dragons.json held %q: %v", len(held), total, name, held)
}

type ack struct{ id, name string }

// killRun is what the load observed up to the SIGKILL.
type killRun struct {
	acked     []ack             // every 202, in order
	succeeded map[string]string // execution id -> stored name, read as SUCCEEDED before the kill
	reads     int               // Dragons.json reads that parsed
	throttled int               // 429 answers
	problems  []string          // anything wrong seen before the kill
}

// loadThenKill posts distinct dragons from several workers (paced under the
// stage's default throttle of 50 requests/s), reads Dragons.json and the status
// records of acknowledged executions throughout, and SIGKILLs the process right
// after a 202 once the load has run for minLoad and some executions are
// known to have succeeded.
func loadThenKill(t *testing.T, p *upProcess, token, bucket string, minLoad time.Duration) killRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := s3Client(p.edgeURL)
	var (
		mu     sync.Mutex
		run    = killRun{succeeded: map[string]string{}}
		killed atomic.Bool
		wg     sync.WaitGroup
	)
	problem := func(format string, args ...any) {
		if killed.Load() {
			return
		}
		mu.Lock()
		run.problems = append(run.problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	acked := make(chan struct{}, 1)
	pace := time.NewTicker(25 * time.Millisecond)
	defer pace.Stop()

	const workers = 6
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-ctx.Done():
					return
				case <-pace.C:
				}
				name := fmt.Sprintf("Cinderfall %d-%03d", w, i)
				status, id, err := post(ctx, p.apiURL, token, name)
				switch {
				case killed.Load() || ctx.Err() != nil:
					if id != "" {
						// A 202 that arrived after the signal was sent
						// was still acknowledged.
						mu.Lock()
						run.acked = append(run.acked, ack{id, name})
						mu.Unlock()
					}
					return
				case status == http.StatusTooManyRequests:
					mu.Lock()
					run.throttled++
					mu.Unlock()
				case err != nil:
					problem("%v", err)
				default:
					mu.Lock()
					run.acked = append(run.acked, ack{id, name})
					mu.Unlock()
					select {
					case acked <- struct{}{}:
					default:
					}
				}
			}
		}()
	}

	// Dragons.json must parse at every moment.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if _, err := readCatalog(ctx, c, bucket); err != nil {
				problem("%v", err)
			} else if !killed.Load() {
				mu.Lock()
				run.reads++
				mu.Unlock()
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()

	// Learn which acknowledged executions have succeeded.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			mu.Lock()
			var pending []ack
			for _, a := range run.acked {
				if _, ok := run.succeeded[a.id]; !ok {
					pending = append(pending, a)
				}
			}
			mu.Unlock()
			for _, a := range pending {
				rec, found, err := readStatus(ctx, c, bucket, a.id)
				if err != nil {
					problem("%v", err)
					break
				}
				if !found {
					continue
				}
				switch rec["status"] {
				case "SUCCEEDED":
					if got := storedName(rec); got != a.name {
						problem("execution %s SUCCEEDED storing %q, submitted %q", a.id, got, a.name)
					}
					mu.Lock()
					run.succeeded[a.id] = a.name
					mu.Unlock()
				case "ACCEPTED":
				default:
					problem("execution %s of distinct name %q ended %v: %v", a.id, a.name, rec["status"], rec)
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	began := time.Now()
	for {
		mu.Lock()
		enough := len(run.succeeded) >= 5 && len(run.acked) >= 20
		mu.Unlock()
		if time.Since(began) >= minLoad && enough {
			break
		}
		if time.Since(began) > 30*time.Second {
			cancel()
			wg.Wait()
			t.Fatalf("after 30s of load only %d executions acknowledged and %d seen SUCCEEDED; problems: %v", len(run.acked), len(run.succeeded), run.problems)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Kill right after a fresh 202, so executions are in flight.
	select {
	case <-acked:
	default:
	}
	select {
	case <-acked:
	case <-time.After(5 * time.Second):
	}
	killed.Store(true)
	if err := p.kill(); err != nil {
		t.Fatal(err)
	}
	cancel()
	wg.Wait()
	t.Logf("killed after %s of load: %d acknowledged, %d seen SUCCEEDED, %d throttled (429), %d Dragons.json reads all parsed",
		time.Since(began).Round(time.Millisecond), len(run.acked), len(run.succeeded), run.throttled, run.reads)
	return run
}

func TestKillDuringLoad(t *testing.T) {
	data := newDataDir(t)
	p := startUp(t, data)
	st := p.stack(t)
	bucket := stackRef(t, st, "DragonsBucket")
	run := loadThenKill(t, p, p.token(t), bucket, 2*time.Second)
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("dragons up ended with %v, want death by SIGKILL", p.cmd.ProcessState)
	}
	for _, pr := range run.problems {
		t.Error("before the kill:", pr)
	}
	if run.reads < 10 {
		t.Errorf("only %d reads of Dragons.json parsed during the load", run.reads)
	}
	if left := waitNoHandlers(data, 5*time.Second); len(left) > 0 {
		t.Logf("handler processes %v outlived the killed dragons up by 5s (they are killed now)", left)
		for _, pid := range left {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}

	p2 := startUp(t, data)
	t.Logf("restart on the same data directory: healthy %s after exec", time.Since(p2.started).Round(time.Millisecond))
	c := s3Client(p2.edgeURL)
	ctx := context.Background()
	if got := stackRef(t, p2.stack(t), "DragonsBucket"); got != bucket {
		t.Fatalf("bucket after restart = %s, want %s", got, bucket)
	}

	t.Run("acknowledged_dragons_survive", func(t *testing.T) {
		// Status records first, the catalog after: executions resumed after
		// the restart may still be finishing, and a dragon whose record says
		// SUCCEEDED must be in any catalog read after that record.
		records := map[string]map[string]any{}
		for _, a := range run.acked {
			rec, found, err := readStatus(ctx, c, bucket, a.id)
			if err != nil {
				t.Fatal(err)
			}
			if found {
				records[a.id] = rec
			}
		}
		list, err := readCatalog(ctx, c, bucket)
		if err != nil {
			t.Fatal(err)
		}
		counts := nameCounts(list)
		for name, n := range counts {
			if n > 1 {
				t.Errorf("dragon %q is stored %d times", name, n)
			}
		}
		for _, a := range run.acked {
			rec, found := records[a.id]
			_, wasDone := run.succeeded[a.id]
			switch {
			case !found:
				t.Errorf("execution %s (%s) was acknowledged with 202 but has no status record after the restart", a.id, a.name)
			case wasDone && rec["status"] != "SUCCEEDED":
				t.Errorf("execution %s (%s) was SUCCEEDED before the kill, and is %v after the restart (error %v, cause %.300v, updated %v)",
					a.id, a.name, rec["status"], rec["error"], rec["cause"], rec["updatedAt"])
			case rec["status"] == "SUCCEEDED" && counts[strings.ToLower(a.name)] != 1:
				t.Errorf("execution %s (seen SUCCEEDED before the kill: %v) is SUCCEEDED (updated %v) but %q is stored %d times in Dragons.json; %s",
					a.id, wasDone, rec["updatedAt"], a.name, counts[strings.ToLower(a.name)], catalogHistory(ctx, c, bucket, a.name))
			}
		}
		// The API agrees with the records for a few of them.
		tok := p2.token(t)
		checked := 0
		for _, a := range run.acked {
			if _, ok := run.succeeded[a.id]; !ok || checked == 5 {
				continue
			}
			checked++
			req, _ := http.NewRequest(http.MethodGet, p2.apiURL+"/dragons/executions/"+a.id, nil)
			req.Header.Set("Authorization", tok)
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var rec map[string]any
			if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &rec) != nil || rec["status"] != "SUCCEEDED" || storedName(rec) != a.name {
				t.Errorf("GET /dragons/executions/%s after the restart = %d %.300s", a.id, resp.StatusCode, body)
			}
		}
	})

	t.Run("restarted_cloud_adds_dragons", func(t *testing.T) {
		const name = "Afterburn"
		status, id, err := post(ctx, p2.apiURL, p2.token(t), name)
		if err != nil {
			t.Fatalf("POST after the restart: %d %v", status, err)
		}
		waitFor(t, 30*time.Second, "the post-restart execution to succeed", func() (bool, string) {
			rec, found, err := readStatus(ctx, c, bucket, id)
			if err != nil {
				t.Fatal(err)
			}
			if found && rec["status"] != "ACCEPTED" && rec["status"] != "SUCCEEDED" {
				t.Fatalf("execution %s after the restart ended %v", id, rec)
			}
			return found && rec["status"] == "SUCCEEDED", fmt.Sprint(rec)
		})
		list, err := readCatalog(ctx, c, bucket)
		if err != nil {
			t.Fatal(err)
		}
		if n := nameCounts(list)[strings.ToLower(name)]; n != 1 {
			t.Fatalf("%s is stored %d times after its execution succeeded", name, n)
		}
	})

	// Express executions acknowledged but unfinished at the kill must be run
	// to their end by the restarted Step Functions service.
	t.Run("unfinished_executions_resume", func(t *testing.T) {
		var open []ack
		for _, a := range run.acked {
			if _, ok := run.succeeded[a.id]; !ok {
				open = append(open, a)
			}
		}
		const patience = 15 * time.Second
		deadline := time.Now().Add(patience)
		stuck := map[string]ack{}
		for {
			clear(stuck)
			for _, a := range open {
				rec, found, err := readStatus(ctx, c, bucket, a.id)
				if err != nil {
					t.Fatal(err)
				}
				if !found || rec["status"] == "ACCEPTED" {
					stuck[a.id] = a
				}
			}
			if len(stuck) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		list, err := readCatalog(ctx, c, bucket)
		if err != nil {
			t.Fatal(err)
		}
		counts := nameCounts(list)
		stored := 0
		var ids []string
		for id, a := range stuck {
			ids = append(ids, id)
			if counts[strings.ToLower(a.name)] > 0 {
				stored++
			}
		}
		sort.Strings(ids)
		t.Logf("%d executions were not yet seen SUCCEEDED at the kill; %d of them are still ACCEPTED %s after the restart (%d of those have their dragon stored already)",
			len(open), len(stuck), patience, stored)
		if len(stuck) > 0 {
			t.Errorf("%d acknowledged executions stayed ACCEPTED after the restart: the Step Functions service did not resume them (for example %v)",
				len(stuck), ids[:min(5, len(ids))])
		}
		ended := map[string]int{}
		var bad []string
		for _, a := range open {
			if _, isStuck := stuck[a.id]; isStuck {
				continue
			}
			rec, _, err := readStatus(ctx, c, bucket, a.id)
			if err != nil {
				t.Fatal(err)
			}
			ended[fmt.Sprint(rec["status"])]++
			n := counts[strings.ToLower(a.name)]
			if (rec["status"] != "SUCCEEDED" || n != 1) && len(bad) < 5 {
				bad = append(bad, fmt.Sprintf("execution %s (%s) ended %v (error %v, cause %.200v, updated %v) and the dragon is stored %d times; %s",
					a.id, a.name, rec["status"], rec["error"], rec["cause"], rec["updatedAt"], n, catalogHistory(ctx, c, bucket, a.name)))
			}
		}
		t.Logf("the others ended: %v", ended)
		if len(bad) > 0 {
			t.Errorf("executions finished after the restart must end SUCCEEDED with their dragon stored once (distinct names); ended %v; for example:\n%s",
				ended, strings.Join(bad, "\n"))
		}
	})
}

package process

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// templateLogicalIDs reads the logical ids under Resources in template.yaml.
func templateLogicalIDs(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse template.yaml: %v", err)
	}
	if len(doc.Content) == 0 {
		t.Fatal("template.yaml is empty")
	}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != "Resources" {
			continue
		}
		res := top.Content[i+1]
		var ids []string
		for j := 0; j+1 < len(res.Content); j += 2 {
			ids = append(ids, res.Content[j].Value)
		}
		return ids
	}
	t.Fatal("template.yaml has no Resources")
	return nil
}

func TestUpServesTheStackAndStopsCleanlyOnInterrupt(t *testing.T) {
	data := newDataDir(t)
	p := startUp(t, data)
	ready := time.Since(p.started)
	warm := "warm handler cache"
	cached, _ := os.ReadFile(filepath.Join(pkg.cache, "build-state.json"))
	used, _ := os.ReadFile(filepath.Join(data, "build", "build-state.json"))
	if string(cached) != string(used) {
		warm = "handlers rebuilt: the sources changed after the warm-up"
	}
	t.Logf("dragons up (%s): healthy %s after exec; it printed \"ready in %s\"", warm, ready.Round(time.Millisecond), p.printedReady)

	st := p.stack(t)
	ids := templateLogicalIDs(t)
	if len(ids) < 10 {
		t.Fatalf("template.yaml lists only %d resources: %v", len(ids), ids)
	}
	for _, id := range ids {
		if v, ok := st[id].(string); !ok || v == "" {
			t.Errorf("/_local/stack has no physical id for the template's %s: %v", id, st[id])
		}
	}
	if st["DragonsApi"] != p.apiURL {
		t.Errorf("/_local/stack DragonsApi = %v, want the API URL %s", st["DragonsApi"], p.apiURL)
	}
	d := p.details(t)
	if d["EdgeUrl"] != p.edgeURL || d["ApiUrl"] != p.apiURL {
		t.Errorf("stack details EdgeUrl %v ApiUrl %v, want the printed %s and %s", d["EdgeUrl"], d["ApiUrl"], p.edgeURL, p.apiURL)
	}
	if !strings.Contains(p.stdout.String(), "Bearer token") {
		t.Errorf("up did not print a bearer token:\n%s", p.stdout)
	}

	// The API works with the token `dragons token` prints; this also starts
	// a handler process that the shutdown has to stop.
	tok := p.token(t)
	req, _ := http.NewRequest(http.MethodGet, p.apiURL+"/dragons", nil)
	req.Header.Set("Authorization", tok)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var list []map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &list) != nil || len(list) == 0 {
		t.Fatalf("GET /dragons = %d %.300s, want 200 and the seeded catalog", resp.StatusCode, body)
	}
	if len(handlerProcesses(data)) == 0 {
		t.Fatal("no handler process is running after GET /dragons; the shutdown check below would prove nothing")
	}

	took, err := p.interrupt(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("exit %s after SIGINT", took.Round(time.Millisecond))
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code after SIGINT = %d (%v)\nstderr:\n%s", code, p.waitErr, p.stderr)
	}
	if !strings.Contains(p.stdout.String(), "shutting down") {
		t.Fatalf("no \"shutting down\" line after SIGINT:\n%s", p.stdout)
	}
	for _, addr := range []string{addrOf(p.edgeURL), addrOf(p.apiURL)} {
		if err := portFree(addr); err != nil {
			t.Errorf("port %s not released after exit: %v", addr, err)
		}
	}
	if left := waitNoHandlers(data, 3*time.Second); len(left) > 0 {
		t.Errorf("handler processes %v still running 3s after dragons up exited", left)
	}
}

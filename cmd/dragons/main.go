// Command dragons runs the local cloud: `dragons up` starts every local AWS
// service on one edge endpoint and deploys template.yaml into it; `dragons token`
// prints an ID token for the local user.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/dragons-dev/dragons/local/durable"

	"github.com/dragons-dev/dragons/local/cloud"
	"github.com/dragons-dev/dragons/seed"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dragons:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  dragons up [--data-dir DIR] [--ephemeral] [--edge-addr HOST:PORT] [--api-addr HOST:PORT] [--template FILE]
  dragons token [--edge-addr HOST:PORT]`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "up":
		return up(ctx, args[1:], stdout, stderr)
	case "token":
		return token(ctx, args[1:], stdout)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func up(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", ".dragons", "directory for the local cloud's state")
	ephemeral := fs.Bool("ephemeral", false, "keep all state in memory")
	edgeAddr := fs.String("edge-addr", "127.0.0.1:4566", "listen address of the AWS edge endpoint (port 0 picks one)")
	apiAddr := fs.String("api-addr", "127.0.0.1:3000", "listen address of the API (port 0 picks one)")
	tmpl := fs.String("template", "template.yaml", "SAM template to run")
	fsync := fs.Bool("fsync", false, "sync the services' journals to the disk before every answer (survives a machine crash, not only kill -9; slower)")
	verbose := fs.Bool("verbose", false, "log every request to stderr instead of DATA_DIR/dragons.log")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger, closeLog, err := openLog(*dataDir, *ephemeral, *verbose, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	began := time.Now()
	user := cloud.DefaultUser()
	c, err := cloud.Start(ctx, cloud.Config{
		Template: *tmpl, DataDir: *dataDir, Durability: durability(*fsync), Ephemeral: *ephemeral, EdgeAddr: *edgeAddr, APIAddr: *apiAddr, Logger: logger,
		Region: region(os.Getenv),
		Seed:   seed.Dragons(), SeedBucketParam: "/dragons/bucket", SeedKeyParam: "/dragons/key", User: user,
	})
	if err != nil {
		return err
	}
	if c.Stack == nil || !hasUserPoolClient(c) {
		fmt.Fprintf(stdout, "Dragons local cloud (edge only, no API) ready in %s\n\n  Edge       %s   (--endpoint-url for the AWS CLI, SDKs and boto3)\n  X-Ray UDP  %s\n  State      %s\n\nPress Ctrl-C to stop.\n",
			time.Since(began).Round(time.Millisecond), c.EdgeURL, c.XRayUDP, stateLine(*dataDir, *ephemeral, *fsync))
		return wait(ctx, c, stdout)
	}
	tok, err := cloud.FetchToken(ctx, c.EdgeURL)
	if err != nil {
		_ = c.Close(context.Background())
		return fmt.Errorf("get a token for the local user: %w", err)
	}
	fmt.Fprint(stdout, ignoredReport(c.Stack.Ignored, c.Stack.IgnoredProperties))
	fmt.Fprintf(stdout, `Dragons local cloud ready in %s

  API        %s
  Edge       %s   (--endpoint-url for the AWS CLI, SDKs and boto3)
  X-Ray UDP  %s
  Region     %s
  State      %s
  User       %s / %s
  Token      dragons token --edge-addr %s

Try it:
  TOKEN=$(go run ./cmd/dragons token --edge-addr %s)
  curl -s -H "Authorization: $TOKEN" %s/dragons?family=red
  curl -s -X POST -H "Authorization: $TOKEN" -H 'Content-Type: application/json' \
    -d '{"dragonName":"Quillion","family":"green","description":"Guards the reed beds.","city":"reno","state":"nevada","country":"usa","neighborhood":"old town"}' \
    %s/dragons

Bearer token (valid for one hour):
%s

Press Ctrl-C to stop.
`, time.Since(began).Round(time.Millisecond), c.APIURL, c.EdgeURL, c.XRayUDP, c.Stack.Region, stateLine(*dataDir, *ephemeral, *fsync), user.Username, user.Password,
		trimScheme(c.EdgeURL), trimScheme(c.EdgeURL), c.APIURL, c.APIURL, tok)
	return wait(ctx, c, stdout)
}

// stateLine says where the state lives and what it survives.
func stateLine(dataDir string, ephemeral, fsync bool) string {
	switch {
	case ephemeral:
		return "in memory (--ephemeral)"
	case fsync:
		return dataDir + " (synced to the disk before every answer: survives kill -9 and power loss)"
	}
	return dataDir + " (survives kill -9; --fsync: power loss too)"
}

// durability is the data directory's durability level for --fsync.
func durability(fsync bool) durable.Level {
	if fsync {
		return durable.Disk
	}
	return durable.Process
}

// wait serves until Ctrl-C or SIGTERM, then shuts the cloud down.
func wait(ctx context.Context, c *cloud.Cloud, stdout io.Writer) error {
	<-ctx.Done()
	fmt.Fprintln(stdout, "\nshutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Close(shutdown)
}

// hasUserPoolClient reports whether the deployed template has a Cognito app
// client, through which `dragons token` signs the local user in.
func hasUserPoolClient(c *cloud.Cloud) bool {
	for _, r := range c.Stack.Resources {
		if r.Type == "AWS::Cognito::UserPoolClient" {
			return true
		}
	}
	return false
}

// openLog returns the structured logger: one JSON line per request and event,
// written to DATA_DIR/dragons.log, or to stderr with --verbose, or nowhere when
// ephemeral without --verbose (warnings still reach stderr).
func openLog(dataDir string, ephemeral, verbose bool, stderr io.Writer) (*slog.Logger, func(), error) {
	if verbose {
		return slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})), func() {}, nil
	}
	if ephemeral {
		return slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), func() {}, nil
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("create data dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dataDir, "dragons.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("open log file: %w", err)
	}
	return slog.New(slog.NewJSONHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})), func() { _ = f.Close() }, nil
}

func token(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	edgeAddr := fs.String("edge-addr", "127.0.0.1:4566", "address of the local cloud's edge endpoint")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tok, err := cloud.FetchToken(ctx, "http://"+*edgeAddr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// ignoredReport lists the template's resources with no local behaviour and,
// grouped by property and reason, the properties accepted but not applied.
func ignoredReport(resources, props []string) string {
	var b strings.Builder
	if len(resources) > 0 {
		fmt.Fprintf(&b, "Template resources with no local behaviour (ignored): %s\n\n", strings.Join(resources, ", "))
	}
	if len(props) == 0 {
		return b.String()
	}
	type group struct {
		what      string
		resources []string
	}
	var groups []*group
	byWhat := map[string]*group{}
	for _, p := range props {
		res, rest, _ := strings.Cut(p, ".")
		g := byWhat[rest]
		if g == nil {
			g = &group{what: rest}
			byWhat[rest] = g
			groups = append(groups, g)
		}
		g.resources = append(g.resources, res)
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].what < groups[j].what })
	b.WriteString("Template properties accepted but not applied locally:\n")
	for _, g := range groups {
		prop, reason, _ := strings.Cut(g.what, ": ")
		fmt.Fprintf(&b, "  %s (%s): %s\n", prop, strings.Join(g.resources, ", "), reason)
	}
	b.WriteString("\n")
	return b.String()
}

// region is the local cloud's region: AWS_REGION, or us-east-1.
func region(getenv func(string) string) string {
	if r := strings.TrimSpace(getenv("AWS_REGION")); r != "" {
		return r
	}
	return "us-east-1"
}

func trimScheme(u string) string {
	const p = "http://"
	if len(u) > len(p) && u[:len(p)] == p {
		return u[len(p):]
	}
	return u
}

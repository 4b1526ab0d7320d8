package params

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/dragons-dev/dragons/local/edge"
)

// startService serves a Service behind the edge on 127.0.0.1:0, routed as the
// local cloud routes it (X-Amz-Target prefix AmazonSSM, SigV4 service ssm), and
// returns it with an SDK client pointed at the edge.
func startService(t *testing.T, dir string) (*Service, *ssm.Client) {
	t.Helper()
	svc, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	e := edge.New(nil)
	e.HandleTarget("AmazonSSM", svc)
	e.Handle("ssm", svc)
	srv := httptest.NewServer(e)
	t.Cleanup(func() {
		srv.Close()
		_ = svc.Close()
	})
	return svc, newClient(srv.URL)
}

func newClient(url string) *ssm.Client {
	return ssm.New(ssm.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

// wantErr fails unless err decodes into the SDK's typed error T.
func wantErr[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error = %v (%T), want %T", err, err, target)
	}
	return target
}

func put(t *testing.T, c *ssm.Client, name, typ, value string, overwrite bool) *ssm.PutParameterOutput {
	t.Helper()
	out, err := c.PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String(name), Type: types.ParameterType(typ), Value: aws.String(value), Overwrite: aws.Bool(overwrite),
	})
	if err != nil {
		t.Fatalf("put %s: %v", name, err)
	}
	return out
}

func TestPutGetVersionsAndOverwrite(t *testing.T) {
	_, c := startService(t, "")
	ctx := context.Background()
	out := put(t, c, "/dragons/bucket", "String", "dragons-bucket", false)
	if out.Version != 1 || out.Tier != types.ParameterTierStandard {
		t.Fatalf("first put = version %d tier %s", out.Version, out.Tier)
	}
	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/dragons/bucket"), Type: types.ParameterTypeString, Value: aws.String("other")})
	wantErr[*types.ParameterAlreadyExists](t, err)

	if out := put(t, c, "/dragons/bucket", "String", "second", true); out.Version != 2 {
		t.Fatalf("overwrite version = %d, want 2", out.Version)
	}
	// Overwrite may omit the type: the existing one is kept.
	out3, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/dragons/bucket"), Value: aws.String("third"), Overwrite: aws.Bool(true), Description: aws.String("the bucket")})
	if err != nil || out3.Version != 3 {
		t.Fatalf("typeless overwrite = %v, %v", out3, err)
	}
	got, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/dragons/bucket")})
	if err != nil {
		t.Fatal(err)
	}
	p := got.Parameter
	if aws.ToString(p.Value) != "third" || p.Version != 3 || p.Type != types.ParameterTypeString || aws.ToString(p.DataType) != "text" {
		t.Fatalf("parameter = %+v", p)
	}
	if aws.ToString(p.ARN) != "arn:aws:ssm:us-east-1:000000000000:parameter/dragons/bucket" {
		t.Fatalf("ARN = %s", aws.ToString(p.ARN))
	}
	if p.LastModifiedDate == nil || p.LastModifiedDate.IsZero() {
		t.Fatal("no LastModifiedDate")
	}

	// Selectors pick a version; the name comes back without it.
	v1, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/dragons/bucket:1")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v1.Parameter.Value) != "dragons-bucket" || aws.ToString(v1.Parameter.Selector) != ":1" || aws.ToString(v1.Parameter.Name) != "/dragons/bucket" {
		t.Fatalf("selected = %+v", v1.Parameter)
	}
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/dragons/bucket:9")})
	wantErr[*types.ParameterVersionNotFound](t, err)

	// ARNs work as references, for names with and without a leading slash.
	byARN, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("arn:aws:ssm:us-east-1:000000000000:parameter/dragons/bucket:2")})
	if err != nil || aws.ToString(byARN.Parameter.Value) != "second" {
		t.Fatalf("by ARN = %+v, %v", byARN, err)
	}
	put(t, c, "plain", "String", "p", false)
	plain, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("arn:aws:ssm:us-east-1:000000000000:parameter/plain")})
	if err != nil || aws.ToString(plain.Parameter.Value) != "p" || aws.ToString(plain.Parameter.ARN) != "arn:aws:ssm:us-east-1:000000000000:parameter/plain" {
		t.Fatalf("plain by ARN = %+v, %v", plain, err)
	}

	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/dragons/missing")})
	wantErr[*types.ParameterNotFound](t, err)
}

func TestSecureStringAndStringList(t *testing.T) {
	_, c := startService(t, "")
	ctx := context.Background()
	put(t, c, "/app/secret", "SecureString", "hunter2", false)
	put(t, c, "/app/list", "StringList", "a,b,c", false)

	enc, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/secret")})
	if err != nil {
		t.Fatal(err)
	}
	if v := aws.ToString(enc.Parameter.Value); v == "hunter2" || v == "" || strings.Contains(v, "hunter2") {
		t.Fatalf("encrypted value = %q", v)
	}
	dec, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/secret"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(dec.Parameter.Value) != "hunter2" || dec.Parameter.Type != types.ParameterTypeSecureString {
		t.Fatalf("decrypted = %+v, %v", dec, err)
	}
	list, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/list")})
	if err != nil || aws.ToString(list.Parameter.Value) != "a,b,c" || list.Parameter.Type != types.ParameterTypeStringList {
		t.Fatalf("list = %+v, %v", list, err)
	}
	desc, err := c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Type"), Values: []string{"SecureString"}}}})
	if err != nil || len(desc.Parameters) != 1 || aws.ToString(desc.Parameters[0].KeyId) != "alias/aws/ssm" {
		t.Fatalf("describe secure = %+v, %v", desc, err)
	}
	// KeyId is only for SecureString.
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/k"), Type: types.ParameterTypeString, Value: aws.String("v"), KeyId: aws.String("alias/x")})
	wantErr[*types.ValidationException](t, err)
}

func TestGetParametersReportsInvalid(t *testing.T) {
	_, c := startService(t, "")
	ctx := context.Background()
	put(t, c, "/a/one", "String", "1", false)
	put(t, c, "/a/two", "SecureString", "2", false)
	out, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/a/one", "/a/missing", "/a/two", "/a/one:7"}, WithDecryption: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range out.Parameters {
		got[aws.ToString(p.Name)] = aws.ToString(p.Value)
	}
	if len(got) != 2 || got["/a/one"] != "1" || got["/a/two"] != "2" {
		t.Fatalf("parameters = %v", got)
	}
	sort.Strings(out.InvalidParameters)
	if strings.Join(out.InvalidParameters, ",") != "/a/missing,/a/one:7" {
		t.Fatalf("invalid = %v", out.InvalidParameters)
	}
	names := make([]string, 11)
	for i := range names {
		names[i] = fmt.Sprintf("/a/n%d", i)
	}
	_, err = c.GetParameters(ctx, &ssm.GetParametersInput{Names: names})
	wantErr[*types.ValidationException](t, err)
}

func TestGetParametersByPath(t *testing.T) {
	_, c := startService(t, "")
	ctx := context.Background()
	for _, n := range []string{"/dragons/bucket", "/dragons/key", "/dragons/deep/a", "/dragons/deep/b/c", "/dragonsx/no", "/other/x"} {
		put(t, c, n, "String", "v"+n, false)
	}
	put(t, c, "/dragons/secret", "SecureString", "s", false)

	collect := func(in *ssm.GetParametersByPathInput) []string {
		t.Helper()
		var names []string
		p := ssm.NewGetParametersByPathPaginator(c, in)
		pages := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, prm := range out.Parameters {
				names = append(names, aws.ToString(prm.Name))
			}
		}
		if in.MaxResults != nil && pages < len(names)/int(*in.MaxResults) {
			t.Fatalf("%d names in %d pages of %d", len(names), pages, *in.MaxResults)
		}
		return names
	}
	if got := strings.Join(collect(&ssm.GetParametersByPathInput{Path: aws.String("/dragons")}), ","); got != "/dragons/bucket,/dragons/key,/dragons/secret" {
		t.Fatalf("one level = %s", got)
	}
	if got := strings.Join(collect(&ssm.GetParametersByPathInput{Path: aws.String("/dragons/"), Recursive: aws.Bool(true), MaxResults: aws.Int32(2)}), ","); got != "/dragons/bucket,/dragons/deep/a,/dragons/deep/b/c,/dragons/key,/dragons/secret" {
		t.Fatalf("recursive paged = %s", got)
	}
	if got := strings.Join(collect(&ssm.GetParametersByPathInput{Path: aws.String("/"), Recursive: aws.Bool(true), ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Type"), Option: aws.String("Equals"), Values: []string{"SecureString"}}}}), ","); got != "/dragons/secret" {
		t.Fatalf("type filter = %s", got)
	}
	out, err := c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/dragons"), WithDecryption: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range out.Parameters {
		if aws.ToString(p.Name) == "/dragons/secret" && aws.ToString(p.Value) != "s" {
			t.Fatalf("decrypted by path = %q", aws.ToString(p.Value))
		}
	}

	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("dragons")})
	wantErr[*types.ValidationException](t, err)
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/dragons"), MaxResults: aws.Int32(11)})
	wantErr[*types.ValidationException](t, err)
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/dragons"), ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Name"), Values: []string{"x"}}}})
	wantErr[*types.InvalidFilterKey](t, err)
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/dragons"), ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Type"), Option: aws.String("BeginsWith"), Values: []string{"String"}}}})
	wantErr[*types.InvalidFilterOption](t, err)
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/dragons"), ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Type"), Values: []string{"Number"}}}})
	wantErr[*types.InvalidFilterValue](t, err)
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/dragons"), NextToken: aws.String("!!")})
	wantErr[*types.InvalidNextToken](t, err)
}

func TestDeleteParameters(t *testing.T) {
	_, c := startService(t, "")
	ctx := context.Background()
	put(t, c, "/d/1", "String", "1", false)
	put(t, c, "/d/2", "String", "2", false)
	put(t, c, "/d/3", "String", "3", false)
	if _, err := c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/d/1")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/d/1")})
	wantErr[*types.ParameterNotFound](t, err)
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/d/1")})
	wantErr[*types.ParameterNotFound](t, err)

	out, err := c.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: []string{"/d/2", "/d/nope", "/d/3"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(out.DeletedParameters, ",") != "/d/2,/d/3" || strings.Join(out.InvalidParameters, ",") != "/d/nope" {
		t.Fatalf("delete parameters = %+v", out)
	}
	// A deleted name starts again at version 1.
	if v := put(t, c, "/d/2", "String", "again", false).Version; v != 1 {
		t.Fatalf("recreated version = %d", v)
	}
}

func TestHistoryAndDescribe(t *testing.T) {
	svc, c := startService(t, "")
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/h/p"), Type: types.ParameterTypeSecureString, Value: aws.String(fmt.Sprintf("v%d", i)), Description: aws.String(fmt.Sprintf("d%d", i)), Overwrite: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
	}
	var values, descs []string
	p := ssm.NewGetParameterHistoryPaginator(c, &ssm.GetParameterHistoryInput{Name: aws.String("/h/p"), WithDecryption: aws.Bool(true), MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range out.Parameters {
			values = append(values, fmt.Sprintf("%d=%s", h.Version, aws.ToString(h.Value)))
			descs = append(descs, aws.ToString(h.Description))
		}
	}
	if strings.Join(values, ",") != "1=v1,2=v2,3=v3" || strings.Join(descs, ",") != "d1,d2,d3" {
		t.Fatalf("history = %v %v", values, descs)
	}
	_, err := c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/h/none")})
	wantErr[*types.ParameterNotFound](t, err)

	// Only the newest 100 versions are kept.
	for i := 0; i < 100; i++ {
		if _, err := svc.Put(ctx, "/h/many", "String", fmt.Sprintf("v%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Put(ctx, "/h/many", "String", "last"); err != nil {
		t.Fatal(err)
	}
	first, err := c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/h/many"), MaxResults: aws.Int32(1)})
	if err != nil || len(first.Parameters) != 1 || first.Parameters[0].Version != 2 {
		t.Fatalf("oldest kept = %+v, %v", first, err)
	}
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/h/many:1")})
	wantErr[*types.ParameterVersionNotFound](t, err)

	put(t, c, "/h/q", "String", "x", false)
	desc, err := c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{
		{Key: aws.String("Name"), Option: aws.String("BeginsWith"), Values: []string{"/h/"}},
		{Key: aws.String("Type"), Values: []string{"String"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var described []string
	for _, m := range desc.Parameters {
		described = append(described, fmt.Sprintf("%s@%d", aws.ToString(m.Name), m.Version))
	}
	if strings.Join(described, ",") != "/h/many@101,/h/q@1" {
		t.Fatalf("described = %v", described)
	}
	path, err := c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Path"), Option: aws.String("OneLevel"), Values: []string{"/h"}}}, MaxResults: aws.Int32(2)})
	if err != nil || len(path.Parameters) != 2 || path.NextToken == nil {
		t.Fatalf("describe by path page = %+v, %v", path, err)
	}
}

func TestPutValidation(t *testing.T) {
	_, c := startService(t, "")
	ctx := context.Background()
	deep := "/" + strings.Repeat("l/", 15) + "leaf"
	cases := []struct {
		name string
		in   ssm.PutParameterInput
		want func(error) bool
	}{
		{"bad character", ssm.PutParameterInput{Name: aws.String("/a/b$c"), Type: "String", Value: aws.String("v")}, is[*types.ValidationException]},
		{"space inside", ssm.PutParameterInput{Name: aws.String("/a/b c"), Type: "String", Value: aws.String("v")}, is[*types.ValidationException]},
		{"aws prefix", ssm.PutParameterInput{Name: aws.String("/AWS/thing"), Type: "String", Value: aws.String("v")}, is[*types.ValidationException]},
		{"ssm prefix", ssm.PutParameterInput{Name: aws.String("ssmthing"), Type: "String", Value: aws.String("v")}, is[*types.ValidationException]},
		{"not fully qualified", ssm.PutParameterInput{Name: aws.String("a/b"), Type: "String", Value: aws.String("v")}, is[*types.ValidationException]},
		{"empty segment", ssm.PutParameterInput{Name: aws.String("/a//b"), Type: "String", Value: aws.String("v")}, is[*types.ValidationException]},
		{"too deep", ssm.PutParameterInput{Name: aws.String(deep), Type: "String", Value: aws.String("v")}, is[*types.HierarchyLevelLimitExceededException]},
		{"too long", ssm.PutParameterInput{Name: aws.String("/" + strings.Repeat("n", 1100)), Type: "String", Value: aws.String("v")}, is[*types.ValidationException]},
		{"value over 4 KB", ssm.PutParameterInput{Name: aws.String("/big"), Type: "String", Value: aws.String(strings.Repeat("x", 4097))}, is[*types.ValidationException]},
		{"value over 8 KB advanced", ssm.PutParameterInput{Name: aws.String("/big"), Type: "String", Tier: types.ParameterTierAdvanced, Value: aws.String(strings.Repeat("x", 8193))}, is[*types.ValidationException]},
		{"no type on create", ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String("v")}, is[*types.ValidationException]},
		{"unknown type", ssm.PutParameterInput{Name: aws.String("/new"), Type: "Number", Value: aws.String("v")}, is[*types.ValidationException]},
		{"bad data type", ssm.PutParameterInput{Name: aws.String("/new"), Type: "String", Value: aws.String("v"), DataType: aws.String("TEXT")}, is[*types.ValidationException]},
		{"pattern mismatch", ssm.PutParameterInput{Name: aws.String("/n"), Type: "String", Value: aws.String("abc"), AllowedPattern: aws.String(`^\d+$`)}, is[*types.ParameterPatternMismatchException]},
		{"list item mismatch", ssm.PutParameterInput{Name: aws.String("/n"), Type: "StringList", Value: aws.String("1,x,3"), AllowedPattern: aws.String(`^\d+$`)}, is[*types.ParameterPatternMismatchException]},
		{"invalid pattern", ssm.PutParameterInput{Name: aws.String("/n"), Type: "String", Value: aws.String("1"), AllowedPattern: aws.String(`(`)}, is[*types.InvalidAllowedPatternException]},
		{"tags with overwrite", ssm.PutParameterInput{Name: aws.String("/n"), Type: "String", Value: aws.String("1"), Overwrite: aws.Bool(true), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}, is[*types.ValidationException]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PutParameter(ctx, &tc.in)
			if !tc.want(err) {
				t.Fatalf("error = %v (%T)", err, err)
			}
		})
	}
	// The limits themselves are accepted.
	if out := put(t, c, "/edge/"+strings.Repeat("l/", 13)+"leaf", "String", strings.Repeat("x", 4096), false); out.Tier != types.ParameterTierStandard {
		t.Fatalf("tier = %s", out.Tier)
	}
	adv, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/adv"), Type: "String", Tier: types.ParameterTierIntelligentTiering, Value: aws.String(strings.Repeat("x", 5000))})
	if err != nil || adv.Tier != types.ParameterTierAdvanced {
		t.Fatalf("intelligent tiering = %+v, %v", adv, err)
	}
	ok, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("  /trimmed  "), Type: "StringList", Value: aws.String("1,2"), AllowedPattern: aws.String(`^\d+$`)})
	if err != nil || ok.Version != 1 {
		t.Fatalf("pattern match = %v", err)
	}
	if _, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/trimmed")}); err != nil {
		t.Fatalf("trimmed name: %v", err)
	}
}

func is[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func TestGoAPI(t *testing.T) {
	svc, err := New(Options{Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ctx := context.Background()
	if v, err := svc.Put(ctx, "/dragons/key", TypeString, "Dragons.json"); err != nil || v != 1 {
		t.Fatalf("put = %d, %v", v, err)
	}
	if v, err := svc.Put(ctx, "/dragons/key", TypeString, "Other.json"); err != nil || v != 2 {
		t.Fatalf("second put = %d, %v", v, err)
	}
	if got, err := svc.Get(ctx, "/dragons/key:1"); err != nil || got != "Dragons.json" {
		t.Fatalf("get = %q, %v", got, err)
	}
	if got := svc.ARN("/dragons/key"); got != "arn:aws:ssm:eu-west-1:000000000000:parameter/dragons/key" {
		t.Fatalf("arn = %s", got)
	}
	if _, err := svc.Get(ctx, "/nope"); err == nil {
		t.Fatal("missing parameter read")
	}
	_ = svc.Close()
	if _, err := svc.Put(ctx, "/after", TypeString, "x"); err == nil {
		t.Fatal("put after Close succeeded")
	}
}

// TestSuiteRunsThroughEdge checks that startService serves through the edge (it
// answers the edge's own /_local/health) and that the SDK reaches the service.
func TestSuiteRunsThroughEdge(t *testing.T) {
	_, c := startService(t, "")
	put(t, c, "/edge/p", "String", "v", false)
	url := c.Options().BaseEndpoint
	resp, err := http.Get(aws.ToString(url) + "/_local/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("GET /_local/health = %d, want the edge's 503 (no health function set)", resp.StatusCode)
	}
}

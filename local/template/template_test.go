package template

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const sample = `
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
  Unset:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [!Condition IsProd]
Globals:
  Function:
    Runtime: provided.al2023
    Timeout: 10
    Environment:
      Variables:
        PARAM_PREFIX: /dragons
    Layers: [a]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Queue:
    Type: AWS::SQS::Queue
    DependsOn: Bucket
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 30
      Layers: [b]
      Environment:
        Variables:
          BUCKET: !Ref Bucket
          QUEUE_ARN: !GetAtt Queue.Arn
          URL: !Sub 'https://${Bucket}.s3.${AWS::Region}/${Stage}/${!Literal}'
          JOINED: !Join ['-', [!Ref Stage, !Select [1, [x, y, z]]]]
          MODE: !If [IsProd, big, small]
          NOTPROD: !If [NotProd, yes-not-prod, !Ref AWS::NoValue]
          SPLIT: !Select [2, !Split [',', 'a,b,c']]
          SUBVARS: !Sub ['${A}-${Queue.Arn}', {A: !Ref Stage}]
`

type fakeEnv struct{}

func (fakeEnv) Ref(id string) (any, error) { return "phys-" + id, nil }
func (fakeEnv) GetAtt(id, attr string) (any, error) {
	return fmt.Sprintf("%s.%s", id, attr), nil
}

func TestParseMergesGlobalsAndResolvesIntrinsics(t *testing.T) {
	tp, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	fn := tp.Resources["Fn"]
	if fn.Properties["Runtime"] != "provided.al2023" || fn.Properties["Timeout"] != float64(30) {
		t.Fatalf("globals merge: %v", fn.Properties)
	}
	if got := fn.Properties["Layers"]; !reflect.DeepEqual(got, []any{"a", "b"}) {
		t.Fatalf("layers = %v, want [a b]", got)
	}
	r := &Resolver{T: tp, Env: fakeEnv{}, Pseudo: map[string]any{"AWS::Region": "us-east-1"}}
	v, err := r.Resolve(fn.Properties["Environment"])
	if err != nil {
		t.Fatal(err)
	}
	vars := v.(map[string]any)["Variables"].(map[string]any)
	want := map[string]any{
		"PARAM_PREFIX": "/dragons",
		"BUCKET":       "phys-Bucket",
		"QUEUE_ARN":    "Queue.Arn",
		"URL":          "https://phys-Bucket.s3.us-east-1/dev/${Literal}",
		"JOINED":       "dev-y",
		"MODE":         "small",
		"NOTPROD":      "yes-not-prod",
		"SPLIT":        "c",
		"SUBVARS":      "dev-Queue.Arn",
	}
	if !reflect.DeepEqual(vars, want) {
		t.Fatalf("resolved = %#v\nwant %#v", vars, want)
	}

	r.Params = map[string]any{"Stage": "prod"}
	v, err = r.Resolve(fn.Properties["Environment"])
	if err != nil {
		t.Fatal(err)
	}
	vars = v.(map[string]any)["Variables"].(map[string]any)
	if vars["MODE"] != "big" {
		t.Fatalf("MODE with Stage=prod = %v", vars["MODE"])
	}
	if _, ok := vars["NOTPROD"]; ok {
		t.Fatal("AWS::NoValue entry was kept")
	}
}

func TestOrderPutsDependenciesFirst(t *testing.T) {
	tp, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	order, err := tp.Order()
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, id := range order {
		pos[id] = i
	}
	if !(pos["Bucket"] < pos["Queue"] && pos["Queue"] < pos["Fn"]) {
		t.Fatalf("order = %v", order)
	}
}

func TestErrors(t *testing.T) {
	cases := map[string]string{
		"cycle":       "Resources:\n  A:\n    Type: X\n    Properties: {P: !Ref B}\n  B:\n    Type: X\n    Properties: {P: !GetAtt A.Arn}\n",
		"unknown tag": "Resources:\n  A:\n    Type: X\n    Properties: {P: !Bogus x}\n",
		"no type":     "Resources:\n  A:\n    Properties: {}\n",
		"empty":       "Resources: {}\n",
		"bad getatt":  "Resources:\n  A:\n    Type: X\n    Properties: {P: !GetAtt Nodot}\n",
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			tp, err := Parse([]byte(doc))
			if err == nil {
				_, err = tp.Order()
			}
			if err == nil {
				t.Fatal("want an error")
			}
		})
	}
	tp, err := Parse([]byte("Parameters:\n  P: {Type: String}\nResources:\n  A:\n    Type: X\n    Properties: {P: !Ref P, Q: !Ref Missing}\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := &Resolver{T: tp, Env: fakeEnv{}}
	if _, err := r.Resolve(map[string]any{"Ref": "P"}); err == nil || !strings.Contains(err.Error(), "no value") {
		t.Fatalf("unset parameter error = %v", err)
	}
	if _, err := r.Resolve(map[string]any{"Ref": "Missing"}); err == nil || !strings.Contains(err.Error(), "unknown") {
		t.Fatalf("unknown ref error = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("Resources:\n  A: {Type: X, Properties: {P: !Sub '${A.B}${!C}'}}\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		tp, err := Parse(doc)
		if err != nil {
			return
		}
		if _, err := tp.Order(); err != nil {
			return
		}
		r := &Resolver{T: tp, Env: fakeEnv{}, Pseudo: map[string]any{"AWS::Region": "r"}}
		for _, id := range tp.SortedIDs() {
			_, _ = r.Resolve(tp.Resources[id].Properties)
		}
	})
}

func TestSelfReferentialConditionFails(t *testing.T) {
	tp, err := Parse([]byte("Conditions:\n  C: !Not [!Condition C]\nResources:\n  A:\n    Type: X\n    Properties: {P: !If [C, a, b]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := &Resolver{T: tp, Env: fakeEnv{}}
	if _, err := r.Resolve(tp.Resources["A"].Properties); err == nil || !strings.Contains(err.Error(), "refers to itself") {
		t.Fatalf("error = %v", err)
	}
}

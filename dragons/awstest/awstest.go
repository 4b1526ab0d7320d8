// Package awstest starts small in-memory AWS endpoints on 127.0.0.1 so that
// tests of the dragons code can go through the real aws-sdk-go-v2 clients:
// S3 objects with ETags and conditional writes, SSM GetParameter(s), and
// Step Functions StartExecution.
//
// It is for tests only. It serves just the calls the dragons application
// makes, is not persistent, and is not the local cloud. The local cloud's S3
// (local/objstore) is exercised directly where its full behaviour matters
// (dragons/catalog's objstore_test.go and the e2e tests); these endpoints
// stay for unit tests that need request logs and injected failures, which
// the local cloud does not offer.
package awstest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Region and Account are what the endpoints report.
const (
	Region  = "us-east-1"
	Account = "000000000000"
)

// Config returns an SDK configuration with static credentials and the test
// region. Point each client at an endpoint with its BaseEndpoint option.
func Config() aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	}
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// jsonError writes an error in the AWS JSON protocols' shape.
func jsonError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

// SSM serves GetParameter and GetParameters for a fixed set of String
// parameters.
type SSM struct {
	srv *httptest.Server

	mu     sync.Mutex
	params map[string]string
	calls  int
}

// NewSSM starts an SSM endpoint holding the given parameters.
func NewSSM(params map[string]string) *SSM {
	s := &SSM{params: map[string]string{}}
	for k, v := range params {
		s.params[k] = v
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the endpoint's base URL.
func (s *SSM) URL() string { return s.srv.URL }

// Close stops the endpoint.
func (s *SSM) Close() { s.srv.Close() }

// Calls returns how many API calls the endpoint answered.
func (s *SSM) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

type ssmParameter struct {
	Name             string
	Type             string
	Value            string
	Version          int
	ARN              string
	DataType         string
	LastModifiedDate float64
}

func (s *SSM) parameter(name string) (ssmParameter, bool) {
	v, ok := s.params[name]
	return ssmParameter{
		Name: name, Type: "String", Value: v, Version: 1, DataType: "text",
		ARN:              fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", Region, Account, strings.TrimPrefix(name, "/")),
		LastModifiedDate: float64(time.Now().Unix()),
	}, ok
}

func (s *SSM) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	body, _ := io.ReadAll(r.Body)
	switch r.Header.Get("X-Amz-Target") {
	case "AmazonSSM.GetParameter":
		var in struct{ Name string }
		if err := json.Unmarshal(body, &in); err != nil {
			jsonError(w, 400, "ValidationException", err.Error())
			return
		}
		p, ok := s.parameter(in.Name)
		if !ok {
			jsonError(w, 400, "ParameterNotFound", "Parameter "+in.Name+" not found.")
			return
		}
		writeJSON(w, map[string]any{"Parameter": p})
	case "AmazonSSM.GetParameters":
		var in struct{ Names []string }
		if err := json.Unmarshal(body, &in); err != nil {
			jsonError(w, 400, "ValidationException", err.Error())
			return
		}
		found, invalid := []ssmParameter{}, []string{}
		for _, n := range in.Names {
			if p, ok := s.parameter(n); ok {
				found = append(found, p)
			} else {
				invalid = append(invalid, n)
			}
		}
		writeJSON(w, map[string]any{"Parameters": found, "InvalidParameters": invalid})
	default:
		jsonError(w, 400, "UnknownOperationException", "operation "+r.Header.Get("X-Amz-Target")+" is not served")
	}
}

// StartExecutionCall is one StartExecution request as received.
type StartExecutionCall struct {
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Input           string `json:"input"`
	TraceHeader     string `json:"traceHeader"`
	// HTTPTraceHeader is the X-Amzn-Trace-Id HTTP header of the request.
	HTTPTraceHeader string `json:"-"`
}

// StepFunctions serves StartExecution for Express state machines: it records
// each call and answers with an Express execution ARN. It runs nothing.
type StepFunctions struct {
	srv *httptest.Server

	mu    sync.Mutex
	calls []StartExecutionCall
	fail  []string
}

// NewStepFunctions starts a Step Functions endpoint.
func NewStepFunctions() *StepFunctions {
	s := &StepFunctions{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the endpoint's base URL.
func (s *StepFunctions) URL() string { return s.srv.URL }

// Close stops the endpoint.
func (s *StepFunctions) Close() { s.srv.Close() }

// Calls returns the StartExecution calls received so far.
func (s *StepFunctions) Calls() []StartExecutionCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]StartExecutionCall(nil), s.calls...)
}

// FailNext makes the next StartExecution call fail with the given AWS error
// code (for example "StateMachineDoesNotExist").
func (s *StepFunctions) FailNext(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, code)
}

// ExecutionArn returns the Express execution ARN the endpoint gives an
// execution of machineArn named name.
func ExecutionArn(machineArn, name string) string {
	// arn:aws:states:REGION:ACCOUNT:stateMachine:NAME -> ...:express:NAME:EXEC:ID
	machine := machineArn[strings.LastIndex(machineArn, ":")+1:]
	return fmt.Sprintf("arn:aws:states:%s:%s:express:%s:%s:%s", Region, Account, machine, name, "7a1e0c2b-3d4f-4a5b-8c6d-0e1f2a3b4c5d")
}

func (s *StepFunctions) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "AWSStepFunctions.StartExecution" {
		jsonError(w, 400, "UnknownOperationException", "operation "+r.Header.Get("X-Amz-Target")+" is not served")
		return
	}
	var in StartExecutionCall
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		jsonError(w, 400, "SerializationException", err.Error())
		return
	}
	in.HTTPTraceHeader = r.Header.Get("X-Amzn-Trace-Id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.fail) > 0 {
		code := s.fail[0]
		s.fail = s.fail[1:]
		jsonError(w, 400, code, "injected failure")
		return
	}
	if in.Name == "" || in.StateMachineArn == "" {
		jsonError(w, 400, "ValidationException", "stateMachineArn and name are required here")
		return
	}
	if !json.Valid([]byte(in.Input)) {
		jsonError(w, 400, "InvalidExecutionInput", "input is not JSON")
		return
	}
	s.calls = append(s.calls, in)
	writeJSON(w, map[string]any{
		"executionArn": ExecutionArn(in.StateMachineArn, in.Name),
		"startDate":    float64(time.Now().UnixMilli()) / 1000,
	})
}

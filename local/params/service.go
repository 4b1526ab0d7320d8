package params

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/durable"
)

// Account is the account id every local ARN carries.
const Account = "000000000000"

// TargetPrefix is the X-Amz-Target prefix of the SSM JSON protocol.
const TargetPrefix = "AmazonSSM"

// maxVersions is how many versions of one parameter are kept; the oldest is
// dropped when a new one would exceed it.
const maxVersions = 100

// Options configure a Service.
type Options struct {
	// Region goes into ARNs; empty means us-east-1.
	Region string
	// DataDir is the directory this service owns for its state; "" keeps
	// everything in memory.
	DataDir string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Service is the local Parameter Store. It is safe for concurrent use.
type Service struct {
	region string
	dir    string
	now    func() time.Time
	seal   cipher.AEAD
	api    *awsproto.JSONService

	mu     sync.RWMutex
	params map[string]*param
	closed bool
}

// param is one parameter with its history, oldest version first. It is also the
// on-disk record.
type param struct {
	Name     string    `json:"name"`
	Versions []version `json:"versions"`
}

type version struct {
	Version        int64     `json:"version"`
	Type           string    `json:"type"`
	Value          string    `json:"value"`
	Description    string    `json:"description,omitempty"`
	KeyID          string    `json:"keyId,omitempty"`
	AllowedPattern string    `json:"allowedPattern,omitempty"`
	Tier           string    `json:"tier"`
	DataType       string    `json:"dataType"`
	Modified       time.Time `json:"modified"`
}

func (p *param) current() *version { return &p.Versions[len(p.Versions)-1] }

// New returns a Service, loading any state found under opts.DataDir.
func New(opts Options) (*Service, error) {
	s := &Service{
		region: opts.Region,
		dir:    opts.DataDir,
		now:    opts.Now,
		params: map[string]*param{},
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.now == nil {
		s.now = time.Now
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate value key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("value cipher: %w", err)
	}
	if s.seal, err = cipher.NewGCM(block); err != nil {
		return nil, fmt.Errorf("value cipher: %w", err)
	}
	if s.dir != "" {
		if err := s.load(); err != nil {
			return nil, err
		}
	}
	s.api = &awsproto.JSONService{
		Version: "1.1",
		Ops: map[string]awsproto.Operation{
			"PutParameter":        awsproto.Op(s.PutParameter),
			"GetParameter":        awsproto.Op(s.GetParameter),
			"GetParameters":       awsproto.Op(s.GetParameters),
			"GetParametersByPath": awsproto.Op(s.GetParametersByPath),
			"GetParameterHistory": awsproto.Op(s.GetParameterHistory),
			"DescribeParameters":  awsproto.Op(s.DescribeParameters),
			"DeleteParameter":     awsproto.Op(s.DeleteParameter),
			"DeleteParameters":    awsproto.Op(s.DeleteParameters),
		},
	}
	return s, nil
}

// ServeHTTP implements http.Handler for the SSM JSON 1.1 protocol.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.api.ServeHTTP(w, r) }

// Close stops the service; later calls fail. Every acknowledged change is
// already on disk, so Close has nothing to flush.
func (s *Service) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// Region returns the region the service reports in ARNs.
func (s *Service) Region() string { return s.region }

// ARN returns the ARN of the parameter called name.
func (s *Service) ARN(name string) string {
	return "arn:aws:ssm:" + s.region + ":" + Account + ":parameter/" + strings.TrimPrefix(name, "/")
}

// Put creates or overwrites a parameter of type typ ("String", "StringList" or
// "SecureString") and returns its new version.
func (s *Service) Put(ctx context.Context, name, typ, value string) (int64, error) {
	out, err := s.PutParameter(ctx, &PutParameterInput{Name: name, Type: typ, Value: value, Overwrite: true})
	if err != nil {
		return 0, err
	}
	return out.Version, nil
}

// Get returns the current (decrypted) value of a parameter; name may carry a
// ":version" selector.
func (s *Service) Get(ctx context.Context, name string) (string, error) {
	out, err := s.GetParameter(ctx, &GetParameterInput{Name: name, WithDecryption: true})
	if err != nil {
		return "", err
	}
	return out.Parameter.Value, nil
}

func (s *Service) checkOpen() error {
	if s.closed {
		return ssmErrors.New("InternalServerError", "the parameter store is closed")
	}
	return nil
}

func (s *Service) fileFor(name string) string {
	sum := sha256.Sum256([]byte(name))
	return filepath.Join(s.dir, hex.EncodeToString(sum[:])+".json")
}

// save writes p's record (or removes it when p has no versions). Callers hold mu.
func (s *Service) save(p *param) error {
	if s.dir == "" {
		return nil
	}
	path := s.fileFor(p.Name)
	if len(p.Versions) == 0 {
		if err := durable.Remove(path); err != nil {
			return fmt.Errorf("delete parameter %q: %w", p.Name, err)
		}
		return nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode parameter %q: %w", p.Name, err)
	}
	if err := durable.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("save parameter %q: %w", p.Name, err)
	}
	return nil
}

func (s *Service) load() error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("create parameter directory: %w", err)
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("read parameter directory: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		path := filepath.Join(s.dir, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read parameter file %q: %w", path, err)
		}
		var p param
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("parse parameter file %q: %w", path, err)
		}
		if p.Name == "" || len(p.Versions) == 0 {
			return fmt.Errorf("parameter file %q: no name or versions", path)
		}
		s.params[p.Name] = &p
	}
	return nil
}

package identity

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
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

// TargetPrefix is the X-Amz-Target prefix of the Cognito user pools protocol.
const TargetPrefix = "AWSCognitoIdentityProviderService"

// Options configure a Service.
type Options struct {
	// Region goes into pool ids and ARNs; empty means us-east-1.
	Region string
	// DataDir is the directory this service owns for its state; "" keeps
	// everything in memory.
	DataDir string
	// IssuerBase is the scheme and authority tokens name as their issuer, without
	// a trailing slash: a token of pool P has iss IssuerBase + "/" + P, and its
	// keys are served at that URL + "/.well-known/jwks.json". The local cloud sets
	// it to its edge URL (for example "http://127.0.0.1:4566"); empty means AWS's
	// "https://cognito-idp.<region>.amazonaws.com".
	IssuerBase string
	// FixedConfirmationCode, when set, is the confirmation code of every sign-up
	// instead of a random six-digit one.
	FixedConfirmationCode string
	// Logger receives the messages Cognito would email (nil discards them).
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// KeyBits is the RSA modulus size of new pool keys; 0 means 2048.
	KeyBits int
}

// Service is the local Cognito user pools service. It is safe for concurrent
// use.
type Service struct {
	region     string
	dir        string
	issuerBase string
	fixedCode  string
	log        *slog.Logger
	now        func() time.Time
	keyBits    int
	api        *awsproto.JSONService

	mu      sync.RWMutex
	pools   map[string]*pool
	clients map[string]string // client id -> pool id
	kids    map[string]string // key id -> pool id
	closed  bool
}

// pool is a user pool with its clients, users and keys; it is also the
// on-disk record of the pool.
type pool struct {
	ID                     string                 `json:"id"`
	Name                   string                 `json:"name"`
	Created                time.Time              `json:"created"`
	Modified               time.Time              `json:"modified"`
	Policy                 PasswordPolicy         `json:"policy"`
	AutoVerified           []string               `json:"autoVerified,omitempty"`
	AliasAttributes        []string               `json:"aliasAttributes,omitempty"`
	UsernameAttributes     []string               `json:"usernameAttributes,omitempty"`
	CaseSensitive          bool                   `json:"caseSensitive"`
	UsernameConfiguration  *UsernameConfiguration `json:"usernameConfiguration,omitempty"`
	AdminCreateUserOnly    bool                   `json:"adminCreateUserOnly"`
	UnusedAccountValidDays int                    `json:"unusedAccountValidDays"`
	Schema                 []SchemaAttribute      `json:"schema,omitempty"`
	MfaConfiguration       string                 `json:"mfaConfiguration"`
	Tags                   map[string]string      `json:"tags,omitempty"`
	DeletionProtection     string                 `json:"deletionProtection"`
	Clients                map[string]*client     `json:"clients"`
	Users                  map[string]*user       `json:"users"`      // by user name key (see userKey)
	SigningKey             []byte                 `json:"signingKey"` // PKCS #8 DER
	SealKey                []byte                 `json:"sealKey"`    // AES-256 key for refresh tokens and sessions

	signer *rsa.PrivateKey
	kid    string
	seal   cipher.AEAD
}

type client struct {
	UserPoolClient
	Created  time.Time `json:"created"`
	Modified time.Time `json:"modified"`
}

type user struct {
	Username      string            `json:"username"`
	Sub           string            `json:"sub"`
	Attributes    map[string]string `json:"attributes"`
	Status        string            `json:"status"`
	Enabled       bool              `json:"enabled"`
	PasswordHash  string            `json:"passwordHash,omitempty"`
	PasswordSet   time.Time         `json:"passwordSet"`
	Created       time.Time         `json:"created"`
	Modified      time.Time         `json:"modified"`
	Code          string            `json:"code,omitempty"`
	CodeExpires   time.Time         `json:"codeExpires"`
	CodeAttribute string            `json:"codeAttribute,omitempty"`
	LastMessage   *Message          `json:"lastMessage,omitempty"`
}

// User statuses.
const (
	StatusUnconfirmed         = "UNCONFIRMED"
	StatusConfirmed           = "CONFIRMED"
	StatusForceChangePassword = "FORCE_CHANGE_PASSWORD"
)

// New returns a Service, loading any pools found under opts.DataDir.
func New(opts Options) (*Service, error) {
	s := &Service{
		region:     opts.Region,
		dir:        opts.DataDir,
		issuerBase: strings.TrimSuffix(opts.IssuerBase, "/"),
		fixedCode:  opts.FixedConfirmationCode,
		log:        opts.Logger,
		now:        opts.Now,
		keyBits:    opts.KeyBits,
		pools:      map[string]*pool{},
		clients:    map[string]string{},
		kids:       map[string]string{},
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.issuerBase == "" {
		s.issuerBase = "https://cognito-idp." + s.region + ".amazonaws.com"
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.keyBits == 0 {
		s.keyBits = 2048
	}
	if s.dir != "" {
		if err := s.load(); err != nil {
			return nil, err
		}
	}
	s.api = &awsproto.JSONService{
		Version: "1.1",
		Ops: map[string]awsproto.Operation{
			"CreateUserPool":              awsproto.Op(s.CreateUserPool),
			"DescribeUserPool":            awsproto.Op(s.DescribeUserPool),
			"ListUserPools":               awsproto.Op(s.ListUserPools),
			"DeleteUserPool":              awsproto.Op(s.DeleteUserPool),
			"CreateUserPoolClient":        awsproto.Op(s.CreateUserPoolClient),
			"DescribeUserPoolClient":      awsproto.Op(s.DescribeUserPoolClient),
			"ListUserPoolClients":         awsproto.Op(s.ListUserPoolClients),
			"DeleteUserPoolClient":        awsproto.Op(s.DeleteUserPoolClient),
			"AdminCreateUser":             awsproto.Op(s.AdminCreateUser),
			"AdminSetUserPassword":        awsproto.Op(s.AdminSetUserPassword),
			"AdminGetUser":                awsproto.Op(s.AdminGetUser),
			"AdminDeleteUser":             awsproto.Op(s.AdminDeleteUser),
			"AdminConfirmSignUp":          awsproto.Op(s.AdminConfirmSignUp),
			"AdminEnableUser":             awsproto.Op(s.AdminEnableUser),
			"AdminDisableUser":            awsproto.Op(s.AdminDisableUser),
			"SignUp":                      awsproto.Op(s.SignUp),
			"ConfirmSignUp":               awsproto.Op(s.ConfirmSignUp),
			"ResendConfirmationCode":      awsproto.Op(s.ResendConfirmationCode),
			"InitiateAuth":                awsproto.Op(s.InitiateAuth),
			"AdminInitiateAuth":           awsproto.Op(s.AdminInitiateAuth),
			"RespondToAuthChallenge":      awsproto.Op(s.RespondToAuthChallenge),
			"AdminRespondToAuthChallenge": awsproto.Op(s.AdminRespondToAuthChallenge),
			"GetUser":                     awsproto.Op(s.GetUser),
		},
	}
	return s, nil
}

// ServeHTTP implements http.Handler for the Cognito JSON 1.1 protocol.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.api.ServeHTTP(w, r) }

// Close stops the service; later calls fail. Every acknowledged change is
// already on disk.
func (s *Service) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// Region returns the service's region.
func (s *Service) Region() string { return s.region }

// Issuer returns the iss claim of the tokens of a pool.
func (s *Service) Issuer(poolID string) string { return s.issuerBase + "/" + poolID }

// PoolARN returns the ARN of a pool.
func (s *Service) PoolARN(poolID string) string {
	return "arn:aws:cognito-idp:" + s.region + ":" + Account + ":userpool/" + poolID
}

func (s *Service) checkOpen() error {
	if s.closed {
		return idpErrors.New("InternalErrorException", "the user pools service is closed")
	}
	return nil
}

// newKeys gives p a fresh signing key and sealing key.
func (s *Service) newKeys(p *pool) error {
	key, err := rsa.GenerateKey(rand.Reader, s.keyBits)
	if err != nil {
		return fmt.Errorf("generate signing key for pool %s: %w", p.ID, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode signing key for pool %s: %w", p.ID, err)
	}
	p.SigningKey = der
	p.SealKey = make([]byte, 32)
	if _, err := rand.Read(p.SealKey); err != nil {
		return fmt.Errorf("generate sealing key for pool %s: %w", p.ID, err)
	}
	return p.unpackKeys()
}

// unpackKeys prepares the signer, key id and sealer from the stored key bytes.
func (p *pool) unpackKeys() error {
	k, err := x509.ParsePKCS8PrivateKey(p.SigningKey)
	if err != nil {
		return fmt.Errorf("pool %s signing key: %w", p.ID, err)
	}
	rsaKey, ok := k.(*rsa.PrivateKey)
	if !ok {
		return fmt.Errorf("pool %s signing key is %T, not RSA", p.ID, k)
	}
	block, err := aes.NewCipher(p.SealKey)
	if err != nil {
		return fmt.Errorf("pool %s sealing key: %w", p.ID, err)
	}
	if p.seal, err = cipher.NewGCM(block); err != nil {
		return fmt.Errorf("pool %s sealing key: %w", p.ID, err)
	}
	p.signer = rsaKey
	p.kid = thumbprint(&rsaKey.PublicKey)
	return nil
}

// thumbprint is the RFC 7638 JWK thumbprint of an RSA key, used as its kid.
func thumbprint(k *rsa.PublicKey) string {
	enc := base64.RawURLEncoding.EncodeToString
	doc := `{"e":"` + enc(big.NewInt(int64(k.E)).Bytes()) + `","kty":"RSA","n":"` + enc(k.N.Bytes()) + `"}`
	sum := sha256.Sum256([]byte(doc))
	return enc(sum[:])
}

func (s *Service) poolFile(id string) string { return filepath.Join(s.dir, "pools", id+".json") }

// save writes p's record. Callers hold mu.
func (s *Service) save(p *pool) error {
	if s.dir == "" {
		return nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode pool %s: %w", p.ID, err)
	}
	if err := durable.WriteFile(s.poolFile(p.ID), b, 0o600); err != nil {
		return fmt.Errorf("save pool %s: %w", p.ID, err)
	}
	return nil
}

func (s *Service) load() error {
	dir := filepath.Join(s.dir, "pools")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create pool directory: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read pool directory: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read pool file %q: %w", path, err)
		}
		var p pool
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("parse pool file %q: %w", path, err)
		}
		if err := p.unpackKeys(); err != nil {
			return fmt.Errorf("pool file %q: %w", path, err)
		}
		if p.Clients == nil {
			p.Clients = map[string]*client{}
		}
		if p.Users == nil {
			p.Users = map[string]*user{}
		}
		s.index(&p)
	}
	return nil
}

// index registers p and its clients and key. Callers hold mu (or own s).
func (s *Service) index(p *pool) {
	s.pools[p.ID] = p
	s.kids[p.kid] = p.ID
	for id := range p.Clients {
		s.clients[id] = p.ID
	}
}

func removeFile(path string) error {
	if err := durable.Remove(path); err != nil {
		return fmt.Errorf("delete pool file: %w", err)
	}
	return nil
}

package params

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/epochtime"
)

// Parameter types.
const (
	TypeString       = "String"
	TypeStringList   = "StringList"
	TypeSecureString = "SecureString"
)

// Tiers and limits.
const (
	TierStandard         = "Standard"
	TierAdvanced         = "Advanced"
	TierIntelligent      = "Intelligent-Tiering"
	maxStandardValue     = 4096
	maxAdvancedValue     = 8192
	maxNameLength        = 1011
	maxHierarchyDepth    = 15
	maxDescriptionLength = 1024
	defaultKeyID         = "alias/aws/ssm"
	lastModifiedUser     = "arn:aws:iam::" + Account + ":root"
)

// Tag is a resource tag (accepted and ignored).
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// PutParameterInput is the PutParameter request.
type PutParameterInput struct {
	Name           string `json:"Name"`
	Description    string `json:"Description,omitempty"`
	Value          string `json:"Value"`
	Type           string `json:"Type,omitempty"`
	KeyID          string `json:"KeyId,omitempty"`
	Overwrite      bool   `json:"Overwrite,omitempty"`
	AllowedPattern string `json:"AllowedPattern,omitempty"`
	Tags           []Tag  `json:"Tags,omitempty"`
	Tier           string `json:"Tier,omitempty"`
	Policies       string `json:"Policies,omitempty"`
	DataType       string `json:"DataType,omitempty"`
}

// PutParameterOutput is the PutParameter response.
type PutParameterOutput struct {
	Version int64  `json:"Version"`
	Tier    string `json:"Tier"`
}

// Parameter is a parameter value as GetParameter(s) and GetParametersByPath
// return it.
type Parameter struct {
	Name             string         `json:"Name"`
	Type             string         `json:"Type"`
	Value            string         `json:"Value"`
	Version          int64          `json:"Version"`
	Selector         string         `json:"Selector,omitempty"`
	LastModifiedDate epochtime.Time `json:"LastModifiedDate"`
	ARN              string         `json:"ARN"`
	DataType         string         `json:"DataType"`
}

// ParameterHistory is one version as GetParameterHistory returns it.
type ParameterHistory struct {
	Name             string         `json:"Name"`
	Type             string         `json:"Type"`
	KeyID            string         `json:"KeyId,omitempty"`
	LastModifiedDate epochtime.Time `json:"LastModifiedDate"`
	LastModifiedUser string         `json:"LastModifiedUser"`
	Description      string         `json:"Description,omitempty"`
	Value            string         `json:"Value"`
	AllowedPattern   string         `json:"AllowedPattern,omitempty"`
	Version          int64          `json:"Version"`
	Labels           []string       `json:"Labels"`
	Tier             string         `json:"Tier"`
	Policies         []any          `json:"Policies"`
	DataType         string         `json:"DataType"`
}

// ParameterMetadata is a parameter as DescribeParameters returns it.
type ParameterMetadata struct {
	Name             string         `json:"Name"`
	ARN              string         `json:"ARN"`
	Type             string         `json:"Type"`
	KeyID            string         `json:"KeyId,omitempty"`
	LastModifiedDate epochtime.Time `json:"LastModifiedDate"`
	LastModifiedUser string         `json:"LastModifiedUser"`
	Description      string         `json:"Description,omitempty"`
	AllowedPattern   string         `json:"AllowedPattern,omitempty"`
	Version          int64          `json:"Version"`
	Tier             string         `json:"Tier"`
	Policies         []any          `json:"Policies"`
	DataType         string         `json:"DataType"`
}

// GetParameterInput is the GetParameter request.
type GetParameterInput struct {
	Name           string `json:"Name"`
	WithDecryption bool   `json:"WithDecryption,omitempty"`
}

// GetParameterOutput is the GetParameter response.
type GetParameterOutput struct {
	Parameter Parameter `json:"Parameter"`
}

// GetParametersInput is the GetParameters request.
type GetParametersInput struct {
	Names          []string `json:"Names"`
	WithDecryption bool     `json:"WithDecryption,omitempty"`
}

// GetParametersOutput is the GetParameters response.
type GetParametersOutput struct {
	Parameters        []Parameter `json:"Parameters"`
	InvalidParameters []string    `json:"InvalidParameters"`
}

// ParameterStringFilter is a filter of GetParametersByPath and
// DescribeParameters.
type ParameterStringFilter struct {
	Key    string   `json:"Key"`
	Option string   `json:"Option,omitempty"`
	Values []string `json:"Values,omitempty"`
}

// GetParametersByPathInput is the GetParametersByPath request.
type GetParametersByPathInput struct {
	Path             string                  `json:"Path"`
	Recursive        bool                    `json:"Recursive,omitempty"`
	ParameterFilters []ParameterStringFilter `json:"ParameterFilters,omitempty"`
	WithDecryption   bool                    `json:"WithDecryption,omitempty"`
	MaxResults       *int                    `json:"MaxResults,omitempty"`
	NextToken        string                  `json:"NextToken,omitempty"`
}

// GetParametersByPathOutput is the GetParametersByPath response.
type GetParametersByPathOutput struct {
	Parameters []Parameter `json:"Parameters"`
	NextToken  string      `json:"NextToken,omitempty"`
}

// GetParameterHistoryInput is the GetParameterHistory request.
type GetParameterHistoryInput struct {
	Name           string `json:"Name"`
	WithDecryption bool   `json:"WithDecryption,omitempty"`
	MaxResults     *int   `json:"MaxResults,omitempty"`
	NextToken      string `json:"NextToken,omitempty"`
}

// GetParameterHistoryOutput is the GetParameterHistory response.
type GetParameterHistoryOutput struct {
	Parameters []ParameterHistory `json:"Parameters"`
	NextToken  string             `json:"NextToken,omitempty"`
}

// DescribeParametersInput is the DescribeParameters request.
type DescribeParametersInput struct {
	ParameterFilters []ParameterStringFilter `json:"ParameterFilters,omitempty"`
	MaxResults       *int                    `json:"MaxResults,omitempty"`
	NextToken        string                  `json:"NextToken,omitempty"`
}

// DescribeParametersOutput is the DescribeParameters response.
type DescribeParametersOutput struct {
	Parameters []ParameterMetadata `json:"Parameters"`
	NextToken  string              `json:"NextToken,omitempty"`
}

// DeleteParameterInput is the DeleteParameter request.
type DeleteParameterInput struct {
	Name string `json:"Name"`
}

// DeleteParameterOutput is the (empty) DeleteParameter response.
type DeleteParameterOutput struct{}

// DeleteParametersInput is the DeleteParameters request.
type DeleteParametersInput struct {
	Names []string `json:"Names"`
}

// DeleteParametersOutput is the DeleteParameters response.
type DeleteParametersOutput struct {
	DeletedParameters []string `json:"DeletedParameters"`
	InvalidParameters []string `json:"InvalidParameters"`
}

// ssmErrors gives the HTTP status Systems Manager sends with each error name this
// package reports. Every error is built with ssmErrors.New; errors_test.go checks
// that each code used has an entry.
var ssmErrors = awsproto.ErrorTable{
	"ValidationException":                  http.StatusBadRequest,
	"ParameterNotFound":                    http.StatusBadRequest,
	"ParameterAlreadyExists":               http.StatusBadRequest,
	"ParameterVersionNotFound":             http.StatusBadRequest,
	"ParameterPatternMismatchException":    http.StatusBadRequest,
	"HierarchyLevelLimitExceededException": http.StatusBadRequest,
	"InvalidAllowedPatternException":       http.StatusBadRequest,
	"InvalidFilterKey":                     http.StatusBadRequest,
	"InvalidFilterOption":                  http.StatusBadRequest,
	"InvalidFilterValue":                   http.StatusBadRequest,
	"InvalidNextToken":                     http.StatusBadRequest,
	"InternalServerError":                  http.StatusInternalServerError,
}

func validation(format string, args ...any) error {
	return ssmErrors.New("ValidationException", format, args...)
}

func notFound(name string) error {
	return ssmErrors.New("ParameterNotFound", "Parameter %s not found.", name)
}

// trimmedName returns the name to create: AWS drops spaces around it.
func (in *PutParameterInput) trimmedName() (string, error) {
	name := strings.TrimSpace(in.Name)
	return name, checkName(name)
}

// checkName applies AWS's naming rules to a parameter name being created.
func checkName(name string) error {
	if name == "" {
		return validation("1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	if len(name) > maxNameLength {
		return validation("Parameter name %q is longer than %d characters.", name, maxNameLength)
	}
	if strings.HasPrefix(name, "arn:") {
		return validation("Parameter name %q: use the parameter's name, not its ARN.", name)
	}
	if strings.Contains(name, "/") && !strings.HasPrefix(name, "/") {
		return validation("Parameter name %q must be a fully qualified name: a name that contains a slash must start with one.", name)
	}
	segments := strings.Split(strings.TrimPrefix(name, "/"), "/")
	for _, seg := range segments {
		if seg == "" {
			return validation("Parameter name %q has an empty path segment.", name)
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
				return validation("Parameter name %q: each path segment may contain only letters, digits and the symbols . - _ (found %q).", name, r)
			}
		}
	}
	first := strings.ToLower(segments[0])
	if strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm") {
		return validation("Parameter name %q: names can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).", name)
	}
	if len(segments) > maxHierarchyDepth {
		return ssmErrors.New("HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of %d levels; %q has %d.", maxHierarchyDepth, name, len(segments))
	}
	return nil
}

// PutParameter creates a parameter or, with Overwrite, adds a version to it.
func (s *Service) PutParameter(_ context.Context, in *PutParameterInput) (*PutParameterOutput, error) {
	name, err := in.trimmedName()
	if err != nil {
		return nil, err
	}
	if in.Value == "" {
		return nil, validation("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(in.Description) > maxDescriptionLength {
		return nil, validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to %d", maxDescriptionLength)
	}
	switch in.Type {
	case "", TypeString, TypeStringList, TypeSecureString:
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]", in.Type)
	}
	switch in.Tier {
	case "", TierStandard, TierAdvanced, TierIntelligent:
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Standard, Advanced, Intelligent-Tiering]", in.Tier)
	}
	dataType := in.DataType
	switch dataType {
	case "":
		dataType = "text"
	case "text", "aws:ec2:image", "aws:ssm:integration":
	default:
		return nil, validation("The following data type is not supported: %s (data type names are all lowercase).", in.DataType)
	}
	if len(in.Tags) > 0 && in.Overwrite {
		return nil, validation("Invalid request: tags and overwrite can't be used together. Tag the existing parameter separately.")
	}
	var pattern *regexp.Regexp
	if in.AllowedPattern != "" {
		re, err := regexp.Compile(in.AllowedPattern)
		if err != nil {
			return nil, ssmErrors.New("InvalidAllowedPatternException", "The allowed pattern %q is not a valid regular expression: %v", in.AllowedPattern, err)
		}
		pattern = re
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	p, exists := s.params[name]
	if exists && !in.Overwrite {
		return nil, ssmErrors.New("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
	}
	typ := in.Type
	if typ == "" {
		if !exists {
			return nil, validation("A parameter type is required when you create a parameter.")
		}
		typ = p.current().Type
	}
	tier := in.Tier
	if exists && p.current().Tier == TierAdvanced {
		if tier == TierStandard {
			return nil, validation("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier.")
		}
		tier = TierAdvanced
	}
	switch tier {
	case "", TierStandard:
		tier = TierStandard
		if len(in.Value) > maxStandardValue {
			return nil, validation("Standard tier parameters support a maximum parameter value of %d characters. To create a larger parameter value, use the advanced-parameter tier.", maxStandardValue)
		}
	case TierIntelligent:
		tier = TierStandard
		if len(in.Value) > maxStandardValue {
			tier = TierAdvanced
		}
	}
	if len(in.Value) > maxAdvancedValue {
		return nil, validation("Advanced tier parameters support a maximum parameter value of %d characters.", maxAdvancedValue)
	}
	if pattern != nil {
		items := []string{in.Value}
		if typ == TypeStringList {
			items = strings.Split(in.Value, ",")
		}
		for _, item := range items {
			if !pattern.MatchString(item) {
				return nil, ssmErrors.New("ParameterPatternMismatchException", "Parameter value, cannot be validated against allowedPattern: %s", in.AllowedPattern)
			}
		}
	}
	keyID := ""
	if typ == TypeSecureString {
		keyID = in.KeyID
		if keyID == "" {
			keyID = defaultKeyID
		}
	} else if in.KeyID != "" {
		return nil, validation("KeyId is allowed only for parameters of type SecureString.")
	}

	next := &param{Name: name}
	var number int64 = 1
	if exists {
		next.Versions = append(next.Versions, p.Versions...)
		number = p.current().Version + 1
	}
	next.Versions = append(next.Versions, version{
		Version:        number,
		Type:           typ,
		Value:          in.Value,
		Description:    in.Description,
		KeyID:          keyID,
		AllowedPattern: in.AllowedPattern,
		Tier:           tier,
		DataType:       dataType,
		Modified:       s.now().UTC(),
	})
	if len(next.Versions) > maxVersions {
		next.Versions = next.Versions[len(next.Versions)-maxVersions:]
	}
	if err := s.save(next); err != nil {
		return nil, err
	}
	s.params[name] = next
	return &PutParameterOutput{Version: number, Tier: tier}, nil
}

// reference is a parsed parameter reference: a name or ARN with an optional
// ":version" or ":label" selector.
type reference struct {
	name     string
	selector string // "" or ":3" / ":label"
}

func (s *Service) parseReference(ref string) reference {
	ref = strings.TrimSpace(ref)
	if strings.HasPrefix(ref, "arn:") {
		if _, rest, ok := strings.Cut(ref, ":parameter/"); ok {
			r := splitSelector(rest)
			if strings.Contains(r.name, "/") {
				r.name = "/" + r.name
			} else if _, ok := s.params[r.name]; !ok {
				if _, ok := s.params["/"+r.name]; ok {
					r.name = "/" + r.name
				}
			}
			return r
		}
	}
	return splitSelector(ref)
}

func splitSelector(ref string) reference {
	if i := strings.LastIndexByte(ref, ':'); i >= 0 {
		return reference{name: ref[:i], selector: ref[i:]}
	}
	return reference{name: ref}
}

// lookup resolves a reference to its parameter and version. Callers hold mu.
func (s *Service) lookup(ref reference) (*param, *version, error) {
	if ref.name == "" {
		return nil, nil, validation("1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	p, ok := s.params[ref.name]
	if !ok {
		return nil, nil, notFound(ref.name)
	}
	if ref.selector == "" {
		return p, p.current(), nil
	}
	sel := ref.selector[1:]
	if n, err := strconv.ParseInt(sel, 10, 64); err == nil {
		for i := range p.Versions {
			if p.Versions[i].Version == n {
				return p, &p.Versions[i], nil
			}
		}
	}
	return nil, nil, ssmErrors.New("ParameterVersionNotFound", "Systems Manager could not find version %s of %s. Verify the version and try again.", sel, ref.name)
}

// value returns v's value as a reader sees it: SecureString values are
// encrypted unless decrypt is set.
func (s *Service) value(v *version, decrypt bool) string {
	if v.Type != TypeSecureString || decrypt {
		return v.Value
	}
	nonce := make([]byte, s.seal.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.StdEncoding.EncodeToString(s.seal.Seal(nonce, nonce, []byte(v.Value), nil))
}

func (s *Service) render(p *param, v *version, selector string, decrypt bool) Parameter {
	return Parameter{
		Name:             p.Name,
		Type:             v.Type,
		Value:            s.value(v, decrypt),
		Version:          v.Version,
		Selector:         selector,
		LastModifiedDate: epochtime.Time(v.Modified),
		ARN:              s.ARN(p.Name),
		DataType:         v.DataType,
	}
}

// GetParameter returns one parameter, optionally at a selected version.
func (s *Service) GetParameter(_ context.Context, in *GetParameterInput) (*GetParameterOutput, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	ref := s.parseReference(in.Name)
	p, v, err := s.lookup(ref)
	if err != nil {
		return nil, err
	}
	return &GetParameterOutput{Parameter: s.render(p, v, ref.selector, in.WithDecryption)}, nil
}

// GetParameters returns up to ten parameters; names that do not resolve are
// listed in InvalidParameters.
func (s *Service) GetParameters(_ context.Context, in *GetParametersInput) (*GetParametersOutput, error) {
	if len(in.Names) == 0 || len(in.Names) > 10 {
		return nil, validation("1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	out := &GetParametersOutput{Parameters: []Parameter{}, InvalidParameters: []string{}}
	seen := map[string]bool{}
	for _, name := range in.Names {
		if seen[name] {
			continue
		}
		seen[name] = true
		ref := s.parseReference(name)
		p, v, err := s.lookup(ref)
		if err != nil {
			out.InvalidParameters = append(out.InvalidParameters, name)
			continue
		}
		out.Parameters = append(out.Parameters, s.render(p, v, ref.selector, in.WithDecryption))
	}
	return out, nil
}

// pageSize resolves a MaxResults: def when absent, else a value from 1 to limit.
func pageSize(maxResults *int, def, limit int) (int, error) {
	if maxResults == nil {
		return def, nil
	}
	if n := *maxResults; n < 1 || n > limit {
		return 0, validation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d and greater than or equal to 1", n, limit)
	}
	return *maxResults, nil
}

func encodeToken(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decodeToken(t string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil || len(b) == 0 {
		return "", ssmErrors.New("InvalidNextToken", "The specified token is not valid.")
	}
	return string(b), nil
}

// filter is a compiled ParameterStringFilter.
type filter func(p *param) bool

func compileFilters(fs []ParameterStringFilter, allowed map[string]bool) ([]filter, error) {
	var out []filter
	for _, f := range fs {
		if !allowed[f.Key] {
			return nil, ssmErrors.New("InvalidFilterKey", "The filter key %s is not supported by this operation.", f.Key)
		}
		opt := f.Option
		if opt == "" {
			opt = "Equals"
		}
		values := map[string]bool{}
		for _, v := range f.Values {
			values[v] = true
		}
		switch f.Key {
		case "Type", "KeyId", "Tier", "DataType":
			if opt != "Equals" {
				return nil, ssmErrors.New("InvalidFilterOption", "The filter option %s is not valid for key %s; valid options are: Equals.", opt, f.Key)
			}
			if f.Key == "Type" {
				for v := range values {
					if v != TypeString && v != TypeStringList && v != TypeSecureString {
						return nil, ssmErrors.New("InvalidFilterValue", "The filter value %s is not valid for key Type; valid values are String, StringList and SecureString.", v)
					}
				}
			}
			key := f.Key
			out = append(out, func(p *param) bool {
				c := p.current()
				switch key {
				case "Type":
					return values[c.Type]
				case "KeyId":
					return values[c.KeyID]
				case "Tier":
					return values[c.Tier]
				default:
					return values[c.DataType]
				}
			})
		case "Label":
			// Labels are not kept locally, so no parameter carries one.
			out = append(out, func(*param) bool { return false })
		case "Name":
			var match func(name, v string) bool
			switch opt {
			case "Equals":
				match = func(name, v string) bool { return name == v }
			case "BeginsWith":
				match = strings.HasPrefix
			case "Contains":
				match = strings.Contains
			default:
				return nil, ssmErrors.New("InvalidFilterOption", "The filter option %s is not valid for key Name; valid options are: Equals, BeginsWith, Contains.", opt)
			}
			vs := f.Values
			out = append(out, func(p *param) bool {
				for _, v := range vs {
					if match(p.Name, v) {
						return true
					}
				}
				return false
			})
		case "Path":
			recursive := false
			switch opt {
			case "OneLevel":
			case "Recursive":
				recursive = true
			default:
				return nil, ssmErrors.New("InvalidFilterOption", "The filter option %s is not valid for key Path; valid options are: Recursive, OneLevel.", opt)
			}
			vs := f.Values
			out = append(out, func(p *param) bool {
				for _, v := range vs {
					if underPath(p.Name, v, recursive) {
						return true
					}
				}
				return false
			})
		}
	}
	return out, nil
}

// underPath reports whether name is in the hierarchy below path: directly
// below it, or at any depth when recursive.
func underPath(name, path string, recursive bool) bool {
	prefix := strings.TrimSuffix(path, "/") + "/"
	if !strings.HasPrefix(name, prefix) || len(name) == len(prefix) {
		return false
	}
	return recursive || !strings.Contains(name[len(prefix):], "/")
}

// afterToken decodes the NextToken of a listing by name: the name of the last
// parameter of the previous page, or "" for the first page.
func afterToken(token string) (string, error) {
	if token == "" {
		return "", nil
	}
	return decodeToken(token)
}

// namePage returns, in order, at most size names of the parameters that keep
// accepts and that sort after the name after, and the NextToken of the
// following page ("" when this page is the last). Callers hold mu.
func (s *Service) namePage(keep func(p *param) bool, after string, size int) (names []string, next string) {
	for name, p := range s.params {
		if name > after && keep(p) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if len(names) > size {
		names = names[:size]
		next = encodeToken(names[size-1])
	}
	return names, next
}

func allPass(fs []filter) func(p *param) bool {
	return func(p *param) bool {
		for _, f := range fs {
			if !f(p) {
				return false
			}
		}
		return true
	}
}

// GetParametersByPath returns the parameters in a hierarchy, a page at a time.
func (s *Service) GetParametersByPath(_ context.Context, in *GetParametersByPathInput) (*GetParametersByPathOutput, error) {
	path := strings.TrimSpace(in.Path)
	if !strings.HasPrefix(path, "/") {
		return nil, validation("The parameter path %q is not valid: a path must begin with a forward slash (/).", in.Path)
	}
	if depth := len(strings.Split(strings.Trim(path, "/"), "/")); depth > maxHierarchyDepth {
		return nil, validation("The parameter path %q exceeds the maximum hierarchy depth of %d.", in.Path, maxHierarchyDepth)
	}
	size, err := pageSize(in.MaxResults, 10, 10)
	if err != nil {
		return nil, err
	}
	filters, err := compileFilters(in.ParameterFilters, map[string]bool{"Type": true, "KeyId": true, "Label": true})
	if err != nil {
		return nil, err
	}
	after, err := afterToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	pass := allPass(filters)
	names, next := s.namePage(func(p *param) bool { return underPath(p.Name, path, in.Recursive) && pass(p) }, after, size)
	out := &GetParametersByPathOutput{Parameters: []Parameter{}, NextToken: next}
	for _, name := range names {
		p := s.params[name]
		out.Parameters = append(out.Parameters, s.render(p, p.current(), "", in.WithDecryption))
	}
	return out, nil
}

// GetParameterHistory returns every kept version of a parameter, oldest first.
func (s *Service) GetParameterHistory(_ context.Context, in *GetParameterHistoryInput) (*GetParameterHistoryOutput, error) {
	size, err := pageSize(in.MaxResults, 50, 50)
	if err != nil {
		return nil, err
	}
	start := 0
	if in.NextToken != "" {
		t, err := decodeToken(in.NextToken)
		if err != nil {
			return nil, err
		}
		if start, err = strconv.Atoi(t); err != nil || start < 0 {
			return nil, ssmErrors.New("InvalidNextToken", "The specified token is not valid.")
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	ref := s.parseReference(in.Name)
	p, ok := s.params[ref.name]
	if !ok || ref.selector != "" {
		return nil, notFound(in.Name)
	}
	out := &GetParameterHistoryOutput{Parameters: []ParameterHistory{}}
	versions := p.Versions
	if start > len(versions) {
		start = len(versions)
	}
	versions = versions[start:]
	if len(versions) > size {
		versions = versions[:size]
		out.NextToken = encodeToken(strconv.Itoa(start + size))
	}
	for i := range versions {
		v := &versions[i]
		out.Parameters = append(out.Parameters, ParameterHistory{
			Name:             p.Name,
			Type:             v.Type,
			KeyID:            v.KeyID,
			LastModifiedDate: epochtime.Time(v.Modified),
			LastModifiedUser: lastModifiedUser,
			Description:      v.Description,
			Value:            s.value(v, in.WithDecryption),
			AllowedPattern:   v.AllowedPattern,
			Version:          v.Version,
			Labels:           []string{},
			Tier:             v.Tier,
			Policies:         []any{},
			DataType:         v.DataType,
		})
	}
	return out, nil
}

// DescribeParameters lists parameter metadata (never values), a page at a time.
func (s *Service) DescribeParameters(_ context.Context, in *DescribeParametersInput) (*DescribeParametersOutput, error) {
	size, err := pageSize(in.MaxResults, 50, 50)
	if err != nil {
		return nil, err
	}
	filters, err := compileFilters(in.ParameterFilters, map[string]bool{"Name": true, "Type": true, "KeyId": true, "Path": true, "Tier": true, "DataType": true, "Label": true})
	if err != nil {
		return nil, err
	}
	after, err := afterToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	names, next := s.namePage(allPass(filters), after, size)
	out := &DescribeParametersOutput{Parameters: []ParameterMetadata{}, NextToken: next}
	for _, name := range names {
		p := s.params[name]
		v := p.current()
		out.Parameters = append(out.Parameters, ParameterMetadata{
			Name:             p.Name,
			ARN:              s.ARN(p.Name),
			Type:             v.Type,
			KeyID:            v.KeyID,
			LastModifiedDate: epochtime.Time(v.Modified),
			LastModifiedUser: lastModifiedUser,
			Description:      v.Description,
			AllowedPattern:   v.AllowedPattern,
			Version:          v.Version,
			Tier:             v.Tier,
			Policies:         []any{},
			DataType:         v.DataType,
		})
	}
	return out, nil
}

// deleteLocked removes a parameter and its history. Callers hold mu.
func (s *Service) deleteLocked(ref string) error {
	r := s.parseReference(ref)
	p, ok := s.params[r.name]
	if !ok || r.selector != "" {
		return notFound(ref)
	}
	if err := s.save(&param{Name: p.Name}); err != nil {
		return err
	}
	delete(s.params, p.Name)
	return nil
}

// DeleteParameter deletes a parameter and all its versions.
func (s *Service) DeleteParameter(_ context.Context, in *DeleteParameterInput) (*DeleteParameterOutput, error) {
	if strings.TrimSpace(in.Name) == "" {
		return nil, validation("1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if err := s.deleteLocked(in.Name); err != nil {
		return nil, err
	}
	return &DeleteParameterOutput{}, nil
}

// DeleteParameters deletes up to ten parameters; names that do not exist are
// listed in InvalidParameters.
func (s *Service) DeleteParameters(_ context.Context, in *DeleteParametersInput) (*DeleteParametersOutput, error) {
	if len(in.Names) == 0 || len(in.Names) > 10 {
		return nil, validation("1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	out := &DeleteParametersOutput{DeletedParameters: []string{}, InvalidParameters: []string{}}
	for _, name := range in.Names {
		err := s.deleteLocked(name)
		switch {
		case err == nil:
			out.DeletedParameters = append(out.DeletedParameters, name)
		case awsproto.IsCode(err, "ParameterNotFound"):
			out.InvalidParameters = append(out.InvalidParameters, name)
		default:
			return nil, fmt.Errorf("delete parameters: %w", err)
		}
	}
	return out, nil
}

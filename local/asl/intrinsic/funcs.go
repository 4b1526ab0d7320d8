package intrinsic

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/dragons-dev/dragons/local/asl/jsonpath"
)

type funcSpec struct {
	min, max int // max < 0: unbounded
	eval     func(c *call, args []any) (any, error)
	// literal argument checks done at parse time
	checkLit func(c *call) error
}

func (s *funcSpec) arity() string {
	switch {
	case s.max < 0:
		return fmt.Sprintf("at least %d arguments", s.min)
	case s.min == s.max:
		return fmt.Sprintf("%d arguments", s.min)
	default:
		return fmt.Sprintf("%d to %d arguments", s.min, s.max)
	}
}

func (s *funcSpec) checkLiterals(c *call) error {
	if s.checkLit == nil {
		return nil
	}
	return s.checkLit(c)
}

// Limits AWS documents for intrinsic functions.
const (
	maxArrayRange  = 1000
	maxStringInput = 10000
)

var funcs map[string]*funcSpec

func init() {
	funcs = map[string]*funcSpec{
		"Format":         {min: 1, max: -1, eval: fnFormat, checkLit: checkFormat},
		"StringToJson":   {min: 1, max: 1, eval: fnStringToJSON},
		"JsonToString":   {min: 1, max: 1, eval: fnJSONToString},
		"Array":          {min: 0, max: -1, eval: fnArray},
		"ArrayPartition": {min: 2, max: 2, eval: fnArrayPartition},
		"ArrayContains":  {min: 2, max: 2, eval: fnArrayContains},
		"ArrayRange":     {min: 3, max: 3, eval: fnArrayRange},
		"ArrayGetItem":   {min: 2, max: 2, eval: fnArrayGetItem},
		"ArrayLength":    {min: 1, max: 1, eval: fnArrayLength},
		"ArrayUnique":    {min: 1, max: 1, eval: fnArrayUnique},
		"Base64Encode":   {min: 1, max: 1, eval: fnBase64Encode},
		"Base64Decode":   {min: 1, max: 1, eval: fnBase64Decode},
		"Hash":           {min: 2, max: 2, eval: fnHash, checkLit: checkHash},
		"JsonMerge":      {min: 3, max: 3, eval: fnJSONMerge},
		"MathRandom":     {min: 2, max: 3, eval: fnMathRandom},
		"MathAdd":        {min: 2, max: 2, eval: fnMathAdd},
		"StringSplit":    {min: 2, max: 2, eval: fnStringSplit},
		"UUID":           {min: 0, max: 0, eval: fnUUID},
	}
}

// Names returns the names of every supported function, without "States.".
func Names() []string {
	out := make([]string, 0, len(funcs))
	for n := range funcs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func fail(c *call, format string, args ...any) error {
	return &Error{Func: c.name, Msg: fmt.Sprintf(format, args...)}
}

func wantString(c *call, v any, what string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fail(c, "%s must be a string, got %s", what, jsonpath.TypeName(v))
	}
	return s, nil
}

func wantArray(c *call, v any, what string) ([]any, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, fail(c, "%s must be an array, got %s", what, jsonpath.TypeName(v))
	}
	return a, nil
}

func wantInt(c *call, v any, what string) (int, error) {
	f, ok := v.(float64)
	if !ok {
		return 0, fail(c, "%s must be a number, got %s", what, jsonpath.TypeName(v))
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fail(c, "%s must be an integer, got %v", what, f)
	}
	return int(f), nil
}

// --- Format ---

func countPlaceholders(tmpl string, escaped bool) int {
	n := 0
	for i := 0; i < len(tmpl); i++ {
		if escaped && tmpl[i] == '\\' {
			i++
			continue
		}
		if tmpl[i] == '{' && i+1 < len(tmpl) && tmpl[i+1] == '}' {
			n++
			i++
		}
	}
	return n
}

func checkFormat(c *call) error {
	a := c.args[0]
	if a.kind == argLit {
		if _, ok := a.lit.(string); !ok {
			return fmt.Errorf("the first argument of States.Format must be a string")
		}
		if n := countPlaceholders(a.raw, true); n != len(c.args)-1 {
			return fmt.Errorf("States.Format template has %d placeholders but %d arguments follow", n, len(c.args)-1)
		}
	}
	if a.kind == argCall {
		return fmt.Errorf("the first argument of States.Format must be a string literal or a path")
	}
	return nil
}

func fnFormat(c *call, args []any) (any, error) {
	tmpl, err := wantString(c, args[0], "the template")
	if err != nil {
		return nil, err
	}
	escaped := false
	if c.args[0].kind == argLit {
		tmpl = c.args[0].raw
		escaped = true
	}
	vals := args[1:]
	if n := countPlaceholders(tmpl, escaped); n != len(vals) {
		return nil, fail(c, "the template has %d placeholders but %d arguments were given", n, len(vals))
	}
	var b strings.Builder
	next := 0
	for i := 0; i < len(tmpl); i++ {
		ch := tmpl[i]
		if escaped && ch == '\\' && i+1 < len(tmpl) {
			switch tmpl[i+1] {
			case '{', '}', '\\', '\'':
				b.WriteByte(tmpl[i+1])
				i++
				continue
			}
		}
		if ch == '{' && i+1 < len(tmpl) && tmpl[i+1] == '}' {
			writeFormatValue(&b, vals[next], true)
			next++
			i++
			continue
		}
		b.WriteByte(ch)
	}
	return b.String(), nil
}

// writeFormatValue renders v the way Step Functions' Format does: strings
// as-is, objects as {key=value, ...} and arrays as [a, b].
func writeFormatValue(b *strings.Builder, v any, top bool) {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		b.WriteString(t)
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case float64:
		b.WriteString(FormatNumber(t))
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteString(", ")
			}
			writeFormatValue(b, e, false)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
			b.WriteByte('=')
			writeFormatValue(b, t[k], false)
		}
		b.WriteByte('}')
	default:
		fmt.Fprint(b, t)
	}
}

// FormatNumber renders a JSON number: integers without a fraction, other
// values in the shortest form that round-trips.
func FormatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// --- JSON ---

func fnStringToJSON(c *call, args []any) (any, error) {
	s, err := wantString(c, args[0], "the argument")
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fail(c, "the argument is not valid JSON: %v", err)
	}
	return v, nil
}

// MarshalCompact renders v as compact JSON without HTML escaping.
func MarshalCompact(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

func fnJSONToString(c *call, args []any) (any, error) {
	s, err := MarshalCompact(args[0])
	if err != nil {
		return nil, fail(c, "cannot encode argument: %v", err)
	}
	return s, nil
}

func fnJSONMerge(c *call, args []any) (any, error) {
	a, ok := args[0].(map[string]any)
	if !ok {
		return nil, fail(c, "the first argument must be an object, got %s", jsonpath.TypeName(args[0]))
	}
	b, ok := args[1].(map[string]any)
	if !ok {
		return nil, fail(c, "the second argument must be an object, got %s", jsonpath.TypeName(args[1]))
	}
	deep, ok := args[2].(bool)
	if !ok {
		return nil, fail(c, "the third argument must be a boolean, got %s", jsonpath.TypeName(args[2]))
	}
	if deep {
		return nil, fail(c, "only shallow merging is supported; the third argument must be false")
	}
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out, nil
}

// --- arrays ---

func fnArray(c *call, args []any) (any, error) {
	out := make([]any, len(args))
	copy(out, args)
	return out, nil
}

func fnArrayPartition(c *call, args []any) (any, error) {
	arr, err := wantArray(c, args[0], "the first argument")
	if err != nil {
		return nil, err
	}
	size, err := wantInt(c, args[1], "the chunk size")
	if err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, fail(c, "the chunk size must be positive, got %d", size)
	}
	out := []any{}
	for i := 0; i < len(arr); i += size {
		end := min(i+size, len(arr))
		chunk := make([]any, end-i)
		copy(chunk, arr[i:end])
		out = append(out, chunk)
	}
	return out, nil
}

func fnArrayContains(c *call, args []any) (any, error) {
	arr, err := wantArray(c, args[0], "the first argument")
	if err != nil {
		return nil, err
	}
	for _, e := range arr {
		if jsonpath.Equal(e, args[1]) {
			return true, nil
		}
	}
	return false, nil
}

func fnArrayRange(c *call, args []any) (any, error) {
	var n [3]int
	for i, what := range []string{"the start", "the end", "the step"} {
		v, err := wantInt(c, args[i], what)
		if err != nil {
			return nil, err
		}
		n[i] = v
	}
	start, end, step := n[0], n[1], n[2]
	if step == 0 {
		return nil, fail(c, "the step must not be zero")
	}
	out := []any{}
	for v := start; (step > 0 && v <= end) || (step < 0 && v >= end); v += step {
		if len(out) == maxArrayRange {
			return nil, fail(c, "the range has more than %d elements", maxArrayRange)
		}
		out = append(out, float64(v))
	}
	return out, nil
}

func fnArrayGetItem(c *call, args []any) (any, error) {
	arr, err := wantArray(c, args[0], "the first argument")
	if err != nil {
		return nil, err
	}
	idx, err := wantInt(c, args[1], "the index")
	if err != nil {
		return nil, err
	}
	if idx < 0 || idx >= len(arr) {
		return nil, fail(c, "index %d out of bounds for an array of length %d", idx, len(arr))
	}
	return arr[idx], nil
}

func fnArrayLength(c *call, args []any) (any, error) {
	arr, err := wantArray(c, args[0], "the argument")
	if err != nil {
		return nil, err
	}
	return float64(len(arr)), nil
}

func fnArrayUnique(c *call, args []any) (any, error) {
	arr, err := wantArray(c, args[0], "the argument")
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, e := range arr {
		dup := false
		for _, o := range out {
			if jsonpath.Equal(e, o) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, e)
		}
	}
	return out, nil
}

// --- encoding and hashing ---

func fnBase64Encode(c *call, args []any) (any, error) {
	s, err := wantString(c, args[0], "the argument")
	if err != nil {
		return nil, err
	}
	if len(s) > maxStringInput {
		return nil, fail(c, "the input is longer than %d characters", maxStringInput)
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnBase64Decode(c *call, args []any) (any, error) {
	s, err := wantString(c, args[0], "the argument")
	if err != nil {
		return nil, err
	}
	if len(s) > maxStringInput {
		return nil, fail(c, "the input is longer than %d characters", maxStringInput)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fail(c, "the input is not valid base64: %v", err)
	}
	return string(b), nil
}

var hashes = map[string]func() hash.Hash{
	"MD5":     md5.New,
	"SHA-1":   sha1.New,
	"SHA-256": sha256.New,
	"SHA-384": sha512.New384,
	"SHA-512": sha512.New,
}

func checkHash(c *call) error {
	if a := c.args[1]; a.kind == argLit {
		s, ok := a.lit.(string)
		if !ok || hashes[s] == nil {
			return fmt.Errorf("States.Hash algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512")
		}
	}
	return nil
}

func fnHash(c *call, args []any) (any, error) {
	var data string
	switch t := args[0].(type) {
	case string:
		data = t
	case nil:
		return nil, fail(c, "the data must not be null")
	default:
		s, err := MarshalCompact(t)
		if err != nil {
			return nil, fail(c, "cannot encode data: %v", err)
		}
		data = s
	}
	if len(data) > maxStringInput {
		return nil, fail(c, "the data is longer than %d characters", maxStringInput)
	}
	alg, err := wantString(c, args[1], "the algorithm")
	if err != nil {
		return nil, err
	}
	mk := hashes[alg]
	if mk == nil {
		return nil, fail(c, "unsupported algorithm %q", alg)
	}
	h := mk()
	h.Write([]byte(data))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// --- math ---

// roundHalfUp rounds like Java's Math.round: halves go towards +Inf.
func roundHalfUp(f float64) float64 { return math.Floor(f + 0.5) }

func fnMathAdd(c *call, args []any) (any, error) {
	var sum float64
	for i, a := range args {
		f, ok := a.(float64)
		if !ok {
			return nil, fail(c, "argument %d must be a number, got %s", i+1, jsonpath.TypeName(a))
		}
		f = roundHalfUp(f)
		if f < math.MinInt32 || f > math.MaxInt32 {
			return nil, fail(c, "argument %d is outside the 32-bit integer range", i+1)
		}
		sum += f
	}
	if sum < math.MinInt32 || sum > math.MaxInt32 {
		return nil, fail(c, "the sum is outside the 32-bit integer range")
	}
	return sum, nil
}

func fnMathRandom(c *call, args []any) (any, error) {
	var n [2]int64
	for i := 0; i < 2; i++ {
		f, ok := args[i].(float64)
		if !ok {
			return nil, fail(c, "argument %d must be a number, got %s", i+1, jsonpath.TypeName(args[i]))
		}
		n[i] = int64(roundHalfUp(f))
	}
	start, end := n[0], n[1]
	if end <= start {
		return nil, fail(c, "the end (%d) must be greater than the start (%d)", end, start)
	}
	var r *rand.Rand
	if len(args) == 3 {
		seed, ok := args[2].(float64)
		if !ok {
			return nil, fail(c, "the seed must be a number, got %s", jsonpath.TypeName(args[2]))
		}
		r = rand.New(rand.NewPCG(uint64(int64(seed)), 0x5eed))
		return float64(start + r.Int64N(end-start)), nil
	}
	return float64(start + rand.Int64N(end-start)), nil
}

// --- strings and ids ---

func fnStringSplit(c *call, args []any) (any, error) {
	s, err := wantString(c, args[0], "the string")
	if err != nil {
		return nil, err
	}
	delims, err := wantString(c, args[1], "the delimiter")
	if err != nil {
		return nil, err
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delims, r) })
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func fnUUID(c *call, args []any) (any, error) {
	return uuid.NewString(), nil
}

package jsonata

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"strings"
)

// Error codes of the Step Functions functions. JSONata itself defines no
// codes for them; Step Functions reports every evaluation failure as
// States.QueryEvaluationError.
const (
	CodePartitionSize = "D3201" // $partition: chunk size is not a positive integer
	CodeRangeArgs     = "D3202" // $range: start/end/step not integers, or step 0
	CodeRangeSize     = "D3203" // $range: more than 1e7 values
	CodeHashAlgorithm = "D3204" // $hash: unsupported algorithm
	CodeParse         = "D3205" // $parse: not valid JSON
)

// defineAWSFunctions adds the functions Step Functions provides on top of
// JSONata. They are always available.
//
//   - $partition(array, size): the array cut into chunks of size items; the
//     last chunk may be shorter.
//   - $range(start, end[, step]): the numbers from start to end inclusive,
//     counting by step (default 1, may be negative). The result is a
//     JSONata sequence, so a single value is returned unwrapped and an
//     empty range is undefined.
//   - $hash(data, algorithm): hex digest of the UTF-8 bytes of data with
//     MD5, SHA-1, SHA-256, SHA-384 or SHA-512.
//   - $random([seed]): a number in [0, 1). With a seed the value is a
//     deterministic function of the seed (Java's LCG: it is not guaranteed
//     to equal the value AWS returns for the same seed).
//   - $uuid(): a random version 4 UUID.
//   - $parse(json): the value a JSON text encodes.
func defineAWSFunctions() {
	define("partition", "<an:a>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		size, ok := a[1].(float64)
		if !ok || size < 1 || !isInteger(size) {
			return nil, fnErr(CodePartitionSize, a[1], "the chunk size of $partition must be a positive integer; got %s", describe(a[1]))
		}
		items, _ := arrayItems(a[0])
		out := &jarr{}
		n := int(size)
		for i := 0; i < len(items); i += n {
			end := min(i+n, len(items))
			out.push(&jarr{items: append([]any(nil), items[i:end]...)})
		}
		return out, nil
	})
	define("range", "<nnn?:a>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined || a[1] == Undefined {
			return Undefined, nil
		}
		start, end := a[0].(float64), a[1].(float64)
		step := 1.0
		if s, ok := a[2].(float64); ok {
			step = s
		}
		if !isInteger(start) || !isInteger(end) || !isInteger(step) || step == 0 {
			return nil, fnErr(CodeRangeArgs, nil, "$range requires integer start, end and a non-zero integer step; got %s, %s, %s", formatNumberJS(start), formatNumberJS(end), formatNumberJS(step))
		}
		count := math.Floor((end-start)/step) + 1
		if count <= 0 {
			return Undefined, nil
		}
		if count > 1e7 {
			return nil, fnErr(CodeRangeSize, count, "$range would produce %s values, more than 1e7", formatNumberJS(count))
		}
		out := &jarr{sequence: true, items: make([]any, 0, int(count))}
		for i := 0; i < int(count); i++ {
			out.push(start + float64(i)*step)
		}
		return out, nil
	})
	define("hash", "<ss:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		alg, _ := a[1].(string)
		var h hash.Hash
		switch alg {
		case "MD5":
			h = md5.New()
		case "SHA-1":
			h = sha1.New()
		case "SHA-256":
			h = sha256.New()
		case "SHA-384":
			h = sha512.New384()
		case "SHA-512":
			h = sha512.New()
		default:
			return nil, fnErr(CodeHashAlgorithm, a[1], "unsupported hash algorithm %s; use MD5, SHA-1, SHA-256, SHA-384 or SHA-512", describe(a[1]))
		}
		h.Write([]byte(a[0].(string)))
		return hex.EncodeToString(h.Sum(nil)), nil
	})
	define("random", "<n?:n>", func(ev *evaluator, c *call, a []any) (any, error) {
		if seed, ok := a[0].(float64); ok {
			return seededRandom(int64(seed)), nil
		}
		return ev.random(), nil
	})
	define("uuid", "<:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if ev.opts.UUID != nil {
			return ev.opts.UUID(), nil
		}
		return newUUID(), nil
	})
	define("parse", "<s-:x>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		s := a[0].(string)
		dec := json.NewDecoder(strings.NewReader(s))
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fnErr(CodeParse, s, "$parse: invalid JSON text: %v", err)
		}
		if dec.More() {
			return nil, fnErr(CodeParse, s, "$parse: invalid JSON text: unexpected data after the value")
		}
		return v, nil
	})
}

// seededRandom returns the first nextDouble() of a Java-style LCG seeded
// with seed.
func seededRandom(seed int64) float64 {
	const mult, add, mask = 0x5DEECE66D, 0xB, (1 << 48) - 1
	state := (uint64(seed) ^ mult) & mask
	next := func(bits uint) uint64 {
		state = (state*mult + add) & mask
		return state >> (48 - bits)
	}
	hi := next(26)
	lo := next(27)
	return float64(hi<<27+lo) / float64(uint64(1)<<53)
}

func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("jsonata: crypto/rand: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

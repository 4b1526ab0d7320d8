package jsonata

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

var (
	numberString = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$`)
	radixString  = regexp.MustCompile(`^(0[xX][0-9A-Fa-f]+|0[oO][0-7]+|0[bB][01]+)$`)
)

func defineNumericFunctions() {
	define("number", "<(nsb)-:n>", func(ev *evaluator, c *call, a []any) (any, error) {
		switch x := a[0].(type) {
		case float64:
			return x, nil
		case bool:
			if x {
				return 1.0, nil
			}
			return 0.0, nil
		case string:
			s := x
			if numberString.MatchString(s) {
				if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) {
					return f, nil
				}
			}
			if radixString.MatchString(s) {
				base := map[byte]int{'x': 16, 'X': 16, 'o': 8, 'O': 8, 'b': 2, 'B': 2}[s[1]]
				if v, err := strconv.ParseUint(s[2:], base, 64); err == nil {
					return float64(v), nil
				}
			}
			return nil, fnErr("D3030", x, "unable to cast value to a number: %q", x)
		}
		return Undefined, nil
	})
	unary := func(f func(float64) float64) func(ev *evaluator, c *call, a []any) (any, error) {
		return func(ev *evaluator, c *call, a []any) (any, error) {
			if a[0] == Undefined {
				return Undefined, nil
			}
			return f(a[0].(float64)), nil
		}
	}
	define("abs", "<n-:n>", unary(math.Abs))
	define("floor", "<n-:n>", unary(math.Floor))
	define("ceil", "<n-:n>", unary(math.Ceil))
	define("round", "<n-n?:n>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		prec := 0.0
		if p, ok := a[1].(float64); ok {
			prec = p
		}
		return roundHalfEven(a[0].(float64), int(prec)), nil
	})
	define("sqrt", "<n-:n>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		f := a[0].(float64)
		if f < 0 {
			return nil, fnErr("D3060", f, "the sqrt function cannot be applied to a negative number: %s", formatNumberJS(f))
		}
		return math.Sqrt(f), nil
	})
	define("power", "<n-n:n>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		if a[1] == Undefined {
			return nil, missingArg(2, "power")
		}
		r := math.Pow(a[0].(float64), a[1].(float64))
		if math.IsInf(r, 0) || math.IsNaN(r) {
			return nil, fnErr("D3061", nil, "the power function has resulted in a value that cannot be represented as a JSON number: base=%s, exponent=%s", formatNumberJS(a[0].(float64)), formatNumberJS(a[1].(float64)))
		}
		return r, nil
	})
	define("formatBase", "<n-n?:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		v := roundHalfEven(a[0].(float64), 0)
		radix := 10.0
		if r, ok := a[1].(float64); ok {
			radix = r
		}
		if radix < 2 || radix > 36 {
			return nil, fnErr("D3100", radix, "the radix of the formatBase function must be between 2 and 36; it was %s", formatNumberJS(radix))
		}
		if math.Abs(v) > 1<<62 {
			return strconv.FormatFloat(v, 'f', 0, 64), nil
		}
		return strconv.FormatInt(int64(v), int(radix)), nil
	})
	define("formatNumber", "<n-so?:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		pic, ok := a[1].(string)
		if !ok {
			return nil, missingArg(2, "formatNumber")
		}
		return formatNumberPicture(a[0].(float64), pic, a[2])
	})
}

// roundHalfEven rounds to prec decimal places, ties to even, shifting the
// decimal point in the decimal string representation to avoid binary
// floating-point artefacts.
func roundHalfEven(f float64, prec int) float64 {
	shift := func(x float64, by int) float64 {
		if by == 0 {
			return x
		}
		s := strconv.FormatFloat(x, 'e', -1, 64)
		mant, exp, _ := strings.Cut(s, "e")
		e, _ := strconv.Atoi(exp)
		r, err := strconv.ParseFloat(mant+"e"+strconv.Itoa(e+by), 64)
		if err != nil {
			return x
		}
		return r
	}
	v := shift(f, prec)
	r := math.Floor(v + 0.5) // JavaScript's Math.round
	if d := r - v; math.Abs(d) == 0.5 && math.Mod(math.Abs(r), 2) == 1 {
		r--
	}
	r = shift(r, -prec)
	if r == 0 {
		return 0 // no negative zero
	}
	return r
}

type decimalFormat struct {
	decimal, grouping, exponent, minus, percent, perMille, zero, digit, pattern string
	infinity, nan                                                               string
}

func formatNumberPicture(value float64, picture string, options any) (any, error) {
	df := decimalFormat{decimal: ".", grouping: ",", exponent: "e", minus: "-", percent: "%", perMille: "‰", zero: "0", digit: "#", pattern: ";", infinity: "Infinity", nan: "NaN"}
	if isObject(options) {
		set := func(key string, dst *string) {
			if v, ok := objectGet(options, key); ok {
				if s, ok := v.(string); ok {
					*dst = s
				}
			}
		}
		set("decimal-separator", &df.decimal)
		set("grouping-separator", &df.grouping)
		set("exponent-separator", &df.exponent)
		set("minus-sign", &df.minus)
		set("percent", &df.percent)
		set("per-mille", &df.perMille)
		set("zero-digit", &df.zero)
		set("digit", &df.digit)
		set("pattern-separator", &df.pattern)
		set("infinity", &df.infinity)
		set("NaN", &df.nan)
	}
	zeroRune := []rune(df.zero)[0]
	isDigit := func(r rune) bool { return r >= zeroRune && r <= zeroRune+9 }
	subs := strings.Split(picture, df.pattern)
	if len(subs) > 2 {
		return nil, fnErr("D3080", picture, "the picture string must not contain more than one instance of the pattern-separator character")
	}
	type parsed struct {
		prefix, suffix           string
		minInt, maxFrac, minFrac int
		groups                   []int // positions of grouping separators, counted from the decimal point
		fracGroups               []int
		hasDecimal               bool
		minExp                   int
		hasExp                   bool
		percent, perMille        bool
	}
	parse := func(sub string) (parsed, error) {
		var p parsed
		rs := []rune(sub)
		active := func(r rune) bool {
			return isDigit(r) || string(r) == df.digit || string(r) == df.decimal || string(r) == df.grouping
		}
		first, last := -1, -1
		for i, r := range rs {
			if active(r) {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		if first < 0 {
			return p, fnErr("D3085", picture, "the picture string must contain at least one digit or optional digit character")
		}
		// an exponent separator between digits is active too
		mantEnd := last + 1
		if idx := strings.Index(string(rs[first:]), df.exponent); idx >= 0 {
			expStart := first + len([]rune(string(rs[first:])[:idx]))
			j := expStart + len([]rune(df.exponent))
			k := j
			for k < len(rs) && isDigit(rs[k]) {
				k++
			}
			if k > j && expStart > first {
				p.hasExp = true
				p.minExp = k - j
				mantEnd = expStart
				last = k - 1
			}
		}
		for i := first; i <= last; i++ {
			r := rs[i]
			if !active(r) && !(p.hasExp && i >= mantEnd && (isDigit(r) || strings.HasPrefix(string(rs[i:]), df.exponent))) {
				if p.hasExp && i >= mantEnd && i < mantEnd+len([]rune(df.exponent)) {
					continue
				}
				return p, fnErr("D3086", picture, "a sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character")
			}
		}
		p.prefix = string(rs[:first])
		p.suffix = string(rs[last+1:])
		p.percent = strings.Contains(p.prefix+p.suffix, df.percent)
		p.perMille = strings.Contains(p.prefix+p.suffix, df.perMille)
		mant := string(rs[first:mantEnd])
		intPart, fracPart, hasDec := strings.Cut(mant, df.decimal)
		p.hasDecimal = hasDec
		digitsSeen := 0
		ir := []rune(intPart)
		for i := len(ir) - 1; i >= 0; i-- {
			r := ir[i]
			switch {
			case isDigit(r):
				p.minInt++
				digitsSeen++
			case string(r) == df.digit:
				digitsSeen++
			case string(r) == df.grouping:
				p.groups = append(p.groups, digitsSeen)
			}
		}
		for _, r := range fracPart {
			switch {
			case isDigit(r):
				p.minFrac++
				p.maxFrac++
			case string(r) == df.digit:
				p.maxFrac++
			case string(r) == df.grouping:
				p.fracGroups = append(p.fracGroups, p.maxFrac)
			}
		}
		if p.minInt == 0 && p.maxFrac == 0 {
			if p.hasExp {
				p.minFrac, p.maxFrac = 1, 1
			} else {
				p.minInt = 1
			}
		}
		if p.hasExp && p.minInt == 0 && p.maxFrac == 0 {
			p.minInt = 1
		}
		return p, nil
	}
	pos, err := parse(subs[0])
	if err != nil {
		return nil, err
	}
	var neg parsed
	if len(subs) == 2 {
		if neg, err = parse(subs[1]); err != nil {
			return nil, err
		}
	} else {
		neg = pos
		neg.prefix = df.minus + pos.prefix
	}
	p := pos
	if value < 0 {
		p = neg
	}
	if math.IsNaN(value) {
		return df.nan, nil
	}
	if math.IsInf(value, 0) {
		return p.prefix + df.infinity + p.suffix, nil
	}
	v := math.Abs(value)
	if p.percent {
		v *= 100
	} else if p.perMille {
		v *= 1000
	}
	exp := 0
	if p.hasExp && v != 0 {
		// scale so the integer part has minInt digits
		target := p.minInt
		if target == 0 {
			target = 0
		}
		for v >= math.Pow(10, float64(target)) {
			v /= 10
			exp++
		}
		for target > 0 && v < math.Pow(10, float64(target-1)) {
			v *= 10
			exp--
		}
		for target == 0 && v >= 1 {
			v /= 10
			exp++
		}
	}
	v = roundHalfEven(v, p.maxFrac)
	s := strconv.FormatFloat(v, 'f', p.maxFrac, 64)
	intDigits, fracDigits, _ := strings.Cut(s, ".")
	for len(fracDigits) > p.minFrac && strings.HasSuffix(fracDigits, "0") {
		fracDigits = fracDigits[:len(fracDigits)-1]
	}
	for len(intDigits) < p.minInt {
		intDigits = "0" + intDigits
	}
	if p.minInt == 0 && intDigits == "0" && !p.hasExp {
		intDigits = ""
		if fracDigits == "" {
			fracDigits = "0"
		}
	}
	// grouping
	if len(p.groups) > 0 {
		regular := 0
		g0 := p.groups[0]
		isRegular := g0 > 0
		for i, g := range p.groups {
			if g != g0*(i+1) {
				isRegular = false
			}
		}
		if isRegular {
			regular = g0
		}
		var out []string
		n := len(intDigits)
		for i := 0; i < n; i++ {
			fromRight := n - i
			out = append(out, intDigits[i:i+1])
			pos := fromRight - 1
			if pos > 0 {
				if regular > 0 {
					if pos%regular == 0 {
						out = append(out, df.grouping)
					}
				} else {
					for _, g := range p.groups {
						if g == pos {
							out = append(out, df.grouping)
						}
					}
				}
			}
		}
		intDigits = strings.Join(out, "")
	}
	toFamily := func(s string) string {
		if zeroRune == '0' {
			return s
		}
		var b strings.Builder
		for _, r := range s {
			if r >= '0' && r <= '9' {
				b.WriteRune(zeroRune + (r - '0'))
			} else {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	var b strings.Builder
	b.WriteString(p.prefix)
	b.WriteString(toFamily(intDigits))
	if fracDigits != "" || (p.hasDecimal && p.minFrac > 0) {
		b.WriteString(df.decimal)
		b.WriteString(toFamily(fracDigits))
	}
	if p.hasExp {
		b.WriteString(df.exponent)
		e := strconv.Itoa(int(math.Abs(float64(exp))))
		for len(e) < p.minExp {
			e = "0" + e
		}
		if exp < 0 {
			b.WriteString(df.minus)
		}
		b.WriteString(toFamily(e))
	}
	b.WriteString(p.suffix)
	return b.String(), nil
}

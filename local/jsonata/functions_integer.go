package jsonata

import (
	"math"
	"strconv"
	"strings"
	"unicode"
)

func defineIntegerFunctions() {
	define("formatInteger", "<n-s:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		pic, ok := a[1].(string)
		if !ok {
			return nil, missingArg(2, "formatInteger")
		}
		return formatIntegerPicture(a[0].(float64), pic)
	})
	define("parseInteger", "<s-s:n>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		pic, ok := a[1].(string)
		if !ok {
			return nil, missingArg(2, "parseInteger")
		}
		return parseIntegerPicture(a[0].(string), pic)
	})
}

var (
	smallWords  = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	smallOrds   = []string{"zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth"}
	tensWords   = []string{"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
	tensOrds    = []string{"twentieth", "thirtieth", "fortieth", "fiftieth", "sixtieth", "seventieth", "eightieth", "ninetieth"}
	scaleWords  = []string{"thousand", "million", "billion", "trillion"}
	scaleValues = []float64{1e3, 1e6, 1e9, 1e12}
)

// numberWords spells a non-negative integer in English words.
func numberWords(n float64, prev, ord bool) string {
	var b strings.Builder
	switch {
	case n <= 19:
		if prev {
			b.WriteString(" and ")
		}
		if ord {
			b.WriteString(smallOrds[int(n)])
		} else {
			b.WriteString(smallWords[int(n)])
		}
	case n < 100:
		tens, rem := int(n)/10, int(n)%10
		if prev {
			b.WriteString(" and ")
		}
		if ord && rem == 0 {
			b.WriteString(tensOrds[tens-2])
		} else {
			b.WriteString(tensWords[tens-2])
		}
		if rem > 0 {
			b.WriteString("-")
			b.WriteString(numberWords(float64(rem), false, ord))
		}
	case n < 1000:
		h, rem := int(n)/100, int(n)%100
		if prev {
			b.WriteString(", ")
		}
		b.WriteString(smallWords[h])
		b.WriteString(" hundred")
		if rem > 0 {
			b.WriteString(numberWords(float64(rem), true, ord))
		} else if ord {
			b.WriteString("th")
		}
	default:
		i := len(scaleValues) - 1
		for i > 0 && n < scaleValues[i] {
			i--
		}
		mant := math.Floor(n / scaleValues[i])
		rem := n - mant*scaleValues[i]
		if prev {
			b.WriteString(", ")
		}
		b.WriteString(numberWords(mant, false, false))
		b.WriteString(" ")
		b.WriteString(scaleWords[i])
		if rem > 0 {
			b.WriteString(numberWords(rem, true, ord))
		} else if ord {
			b.WriteString("th")
		}
	}
	return b.String()
}

func titleWords(s string) string {
	rs := []rune(s)
	up := true
	for i, r := range rs {
		if up && unicode.IsLetter(r) {
			rs[i] = unicode.ToUpper(r)
			up = false
		} else if !unicode.IsLetter(r) {
			up = r == ' ' || r == '-'
		}
	}
	return string(rs)
}

type intPicture struct {
	primary string
	ordinal bool
}

func splitIntPicture(pic string) intPicture {
	p := intPicture{primary: pic}
	if i := strings.LastIndexByte(pic, ';'); i >= 0 {
		p.primary = pic[:i]
		p.ordinal = strings.HasPrefix(pic[i+1:], "o")
	}
	return p
}

func formatIntegerPicture(v float64, pic string) (any, error) {
	p := splitIntPicture(pic)
	n := math.Floor(v)
	neg := n < 0
	n = math.Abs(n)
	var s string
	switch p.primary {
	case "w", "W", "Ww":
		s = numberWords(n, false, p.ordinal)
		switch p.primary {
		case "W":
			s = strings.ToUpper(s)
		case "Ww":
			s = titleWords(s)
		}
	case "I":
		s = roman(int(n))
	case "i":
		s = strings.ToLower(roman(int(n)))
	case "A":
		s = alphabetic(int(n))
	case "a":
		s = strings.ToLower(alphabetic(int(n)))
	default:
		var err error
		if s, err = formatDecimalPicture(n, p.primary); err != nil {
			return nil, err
		}
		if p.ordinal {
			s += ordinalSuffix(int(math.Mod(n, 100)))
		}
	}
	if neg {
		s = "-" + s
	}
	return s, nil
}

// formatDecimalPicture formats n with a decimal-digit picture such as
// "000" or "#,##0".
func formatDecimalPicture(n float64, pic string) (string, error) {
	mandatory := 0
	var seps []struct {
		pos int
		sep rune
	}
	digits := 0
	rs := []rune(pic)
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i]
		switch {
		case r >= '0' && r <= '9':
			mandatory++
			digits++
		case r == '#':
			digits++
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			return "", fnErr("D3130", pic, "invalid picture string for $formatInteger: %q", pic)
		default:
			seps = append(seps, struct {
				pos int
				sep rune
			}{digits, r})
		}
	}
	if mandatory == 0 {
		return "", fnErr("D3130", pic, "invalid picture string for $formatInteger: %q", pic)
	}
	s := strconv.FormatFloat(n, 'f', 0, 64)
	for len(s) < mandatory {
		s = "0" + s
	}
	if len(seps) == 0 {
		return s, nil
	}
	regular := seps[0].pos > 0
	for i, sp := range seps {
		if sp.pos != seps[0].pos*(i+1) || sp.sep != seps[0].sep {
			regular = false
		}
	}
	var out []rune
	ds := []rune(s)
	for i := range ds {
		fromRight := len(ds) - i
		out = append(out, ds[i])
		pos := fromRight - 1
		if pos <= 0 {
			continue
		}
		if regular {
			if pos%seps[0].pos == 0 {
				out = append(out, seps[0].sep)
			}
			continue
		}
		for _, sp := range seps {
			if sp.pos == pos {
				out = append(out, sp.sep)
			}
		}
	}
	return string(out), nil
}

func parseIntegerPicture(s, pic string) (any, error) {
	p := splitIntPicture(pic)
	switch p.primary {
	case "w", "W", "Ww":
		return wordsToNumber(s), nil
	case "I", "i":
		return float64(romanValue(strings.ToUpper(s))), nil
	case "A", "a":
		n := 0
		for _, r := range strings.ToUpper(s) {
			n = n*26 + int(r-'A'+1)
		}
		return float64(n), nil
	}
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if unicode.IsLetter(r) && !p.ordinal {
			return nil, fnErr("D3137", s, "unable to parse %q with picture %q", s, pic)
		}
	}
	if b.Len() == 0 {
		return Undefined, nil
	}
	f, _ := strconv.ParseFloat(b.String(), 64)
	return f, nil
}

func romanValue(s string) int {
	vals := map[rune]int{'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100, 'D': 500, 'M': 1000}
	total, prev := 0, 0
	rs := []rune(s)
	for i := len(rs) - 1; i >= 0; i-- {
		v := vals[rs[i]]
		if v < prev {
			total -= v
		} else {
			total += v
			prev = v
		}
	}
	return total
}

func wordsToNumber(s string) float64 {
	words := map[string]float64{}
	for i, w := range smallWords {
		words[w] = float64(i)
	}
	for i, w := range smallOrds {
		words[w] = float64(i)
	}
	for i, w := range tensWords {
		words[w] = float64((i + 2) * 10)
	}
	for i, w := range tensOrds {
		words[w] = float64((i + 2) * 10)
	}
	scales := map[string]float64{"hundred": 100, "hundredth": 100, "thousand": 1e3, "thousandth": 1e3, "million": 1e6, "millionth": 1e6, "billion": 1e9, "billionth": 1e9, "trillion": 1e12, "trillionth": 1e12}
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ' ' || r == '-' || r == ',' })
	total, cur := 0.0, 0.0
	for _, w := range f {
		if w == "and" {
			continue
		}
		if v, ok := words[w]; ok {
			cur += v
			continue
		}
		if sc, ok := scales[w]; ok {
			if cur == 0 {
				cur = 1
			}
			if sc == 100 {
				cur *= 100
			} else {
				total += cur * sc
				cur = 0
			}
		}
	}
	return total + cur
}

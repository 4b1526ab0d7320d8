package jsonata

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

const defaultDatePicture = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"

func defineDateTimeFunctions() {
	define("now", "<s?s?:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		ms := ev.clock().UnixMilli()
		return formatMillis(float64(ms), a[0], a[1])
	})
	define("millis", "<:n>", func(ev *evaluator, c *call, a []any) (any, error) {
		return float64(ev.clock().UnixMilli()), nil
	})
	define("fromMillis", "<n-s?s?:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		return formatMillis(a[0].(float64), a[1], a[2])
	})
	define("toMillis", "<s-s?:n>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		s := a[0].(string)
		if pic, ok := a[1].(string); ok {
			return parseWithPicture(s, pic, ev.clock())
		}
		t, ok, valid := parseISO(s)
		if !ok {
			return nil, fnErr("D3110", s, "the timestamp %q is not in ISO 8601 format", s)
		}
		if !valid {
			return math.NaN(), nil // JavaScript's Date.parse of an impossible date
		}
		return float64(t.UnixMilli()), nil
	})
}

func formatMillis(ms float64, picture, tz any) (any, error) {
	t := time.UnixMilli(int64(math.Floor(ms))).UTC()
	pic, hasPic := picture.(string)
	tzs, hasTZ := tz.(string)
	if !hasPic && !hasTZ {
		return t.Format("2006-01-02T15:04:05.000Z"), nil
	}
	if !hasPic {
		pic = defaultDatePicture
	}
	if hasTZ {
		off, err := parseTZ(tzs)
		if err != nil {
			return nil, err
		}
		t = t.In(time.FixedZone("", off))
	}
	return formatDateTime(t, pic)
}

func parseTZ(s string) (int, error) {
	if len(s) != 5 || (s[0] != '+' && s[0] != '-') {
		return 0, fnErr("D3134", s, "the timezone must be of the form ±HHMM; got %q", s)
	}
	h, err1 := strconv.Atoi(s[1:3])
	m, err2 := strconv.Atoi(s[3:5])
	if err1 != nil || err2 != nil {
		return 0, fnErr("D3134", s, "the timezone must be of the form ±HHMM; got %q", s)
	}
	off := h*3600 + m*60
	if s[0] == '-' {
		off = -off
	}
	return off, nil
}

var isoRe = regexp.MustCompile(`^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?$`)

// parseISO parses the ISO 8601 forms $toMillis accepts. ok reports the
// syntax, valid whether the fields form a real date and time.
func parseISO(s string) (t time.Time, ok, valid bool) {
	m := isoRe.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false, false
	}
	num := func(x string, def int) int {
		if x == "" {
			return def
		}
		n, _ := strconv.Atoi(x)
		return n
	}
	nanos := 0
	if m[7] != "" {
		frac := (m[7] + "000000000")[:9]
		nanos, _ = strconv.Atoi(frac)
	}
	loc := time.UTC
	if z := m[8]; z != "" && z != "Z" {
		off, err := parseTZ(strings.Replace(z, ":", "", 1))
		if err != nil {
			return time.Time{}, true, false
		}
		loc = time.FixedZone("", off)
	}
	mon, day := num(m[2], 1), num(m[3], 1)
	hh, mm, ss := num(m[4], 0), num(m[5], 0), num(m[6], 0)
	if mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 24 || mm > 59 || ss > 59 {
		return time.Time{}, true, false
	}
	return time.Date(num(m[1], 0), time.Month(mon), day, hh, mm, ss, nanos, loc), true, true
}

type dateMarker struct {
	literal   string
	component byte
	pres      string // primary presentation modifier
	ordinal   bool
	trad      bool // 't' modifier
	minW      int
	maxW      int // 0 = unlimited
}

func parsePicture(pic string) ([]dateMarker, error) {
	var out []dateMarker
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, dateMarker{literal: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(pic); i++ {
		c := pic[i]
		if c == ']' && i+1 < len(pic) && pic[i+1] == ']' {
			lit.WriteByte(']')
			i++
			continue
		}
		if c != '[' {
			lit.WriteByte(c)
			continue
		}
		if i+1 < len(pic) && pic[i+1] == '[' {
			lit.WriteByte('[')
			i++
			continue
		}
		end := strings.IndexByte(pic[i:], ']')
		if end < 0 {
			return nil, fnErr("D3135", pic, "no matching closing bracket ']' in date/time picture string")
		}
		flush()
		spec := strings.Join(strings.Fields(pic[i+1:i+end]), "")
		i += end
		if spec == "" {
			return nil, fnErr("D3132", pic, "empty component in date/time picture string")
		}
		m := dateMarker{component: spec[0]}
		rest := spec[1:]
		if k := strings.LastIndexByte(rest, ','); k >= 0 {
			width := rest[k+1:]
			rest = rest[:k]
			lo, hi, hasHi := strings.Cut(width, "-")
			if lo != "*" && lo != "" {
				m.minW, _ = strconv.Atoi(lo)
			}
			if !hasHi {
				m.maxW = m.minW
			} else if hi != "*" && hi != "" {
				m.maxW, _ = strconv.Atoi(hi)
			}
		}
		if len(rest) > 1 && (strings.HasSuffix(rest, "o") || strings.HasSuffix(rest, "t")) && rest != "Nn" {
			if rest[len(rest)-1] == 'o' {
				m.ordinal = true
			} else {
				m.trad = true
			}
			rest = rest[:len(rest)-1]
		} else if rest == "o" || rest == "t" {
			m.ordinal = rest == "o"
			m.trad = rest == "t"
			rest = ""
		}
		if rest == "" {
			switch m.component {
			case 'F', 'P', 'C', 'E':
				rest = "n"
			case 'm', 's':
				rest = "01"
			case 'Z', 'z':
				rest = "01:01"
			default:
				rest = "1"
			}
		}
		m.pres = rest
		if !strings.ContainsRune("YMDdFWwXxHhPmsfZzCE", rune(m.component)) {
			return nil, fnErr("D3132", pic, "unknown component specifier %q in date/time picture string", string(m.component))
		}
		out = append(out, m)
	}
	flush()
	return out, nil
}

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
var dayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

func formatDateTime(t time.Time, pic string) (any, error) {
	markers, err := parsePicture(pic)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, m := range markers {
		if m.component == 0 {
			b.WriteString(m.literal)
			continue
		}
		b.WriteString(formatComponent(t, m))
	}
	return b.String(), nil
}

func formatComponent(t time.Time, m dateMarker) string {
	name := func(s string) string {
		switch m.pres {
		case "N":
			s = strings.ToUpper(s)
		case "n":
			s = strings.ToLower(s)
		}
		if m.maxW > 0 && len(s) > m.maxW {
			s = s[:m.maxW]
		}
		return s
	}
	var v int
	switch m.component {
	case 'Y':
		v = t.Year()
	case 'M':
		if strings.HasPrefix(m.pres, "N") || m.pres == "n" {
			return name(monthNames[t.Month()-1])
		}
		v = int(t.Month())
	case 'D':
		v = t.Day()
	case 'd':
		v = t.YearDay()
	case 'F':
		if strings.HasPrefix(m.pres, "N") || m.pres == "n" {
			return name(dayNames[t.Weekday()])
		}
		v = int(t.Weekday())
		if v == 0 {
			v = 7
		}
	case 'W':
		_, v = t.ISOWeek()
	case 'X':
		v, _ = t.ISOWeek()
	case 'w':
		v = (t.Day() + int(time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location()).Weekday()) + 6) / 7
	case 'x':
		v = int(t.Month())
	case 'H':
		v = t.Hour()
	case 'h':
		v = t.Hour() % 12
		if v == 0 {
			v = 12
		}
	case 'P':
		s := "am"
		if t.Hour() >= 12 {
			s = "pm"
		}
		if m.pres == "N" {
			s = strings.ToUpper(s)
		}
		return s
	case 'm':
		v = t.Minute()
	case 's':
		v = t.Second()
	case 'f':
		// JSONata formats the milliseconds as an integer
		v = t.Nanosecond() / 1e6
	case 'Z', 'z':
		_, off := t.Zone()
		if m.trad && off == 0 {
			return "Z"
		}
		sign := "+"
		if off < 0 {
			sign = "-"
			off = -off
		}
		h, mi := off/3600, (off%3600)/60
		prefix := ""
		if m.component == 'z' {
			prefix = "GMT"
		}
		p := m.pres
		switch {
		case p == "0":
			if mi == 0 {
				return fmt.Sprintf("%s%s%d", prefix, sign, h)
			}
			return fmt.Sprintf("%s%s%d:%02d", prefix, sign, h, mi)
		case strings.Contains(p, ":"):
			hp, _, _ := strings.Cut(p, ":")
			hs := strconv.Itoa(h)
			for len(hs) < len(hp) {
				hs = "0" + hs
			}
			return fmt.Sprintf("%s%s%s:%02d", prefix, sign, hs, mi)
		case len(p) <= 2:
			if mi == 0 {
				hs := strconv.Itoa(h)
				for len(hs) < len(p) {
					hs = "0" + hs
				}
				return prefix + sign + hs
			}
			return fmt.Sprintf("%s%s%02d:%02d", prefix, sign, h, mi)
		default:
			return fmt.Sprintf("%s%s%02d%02d", prefix, sign, h, mi)
		}
	case 'C':
		return "ISO"
	case 'E':
		return "ISO"
	}
	return formatInteger(v, m)
}

func formatInteger(v int, m dateMarker) string {
	switch m.pres {
	case "I":
		return roman(v)
	case "i":
		return strings.ToLower(roman(v))
	case "A", "a":
		s := alphabetic(v)
		if m.pres == "a" {
			s = strings.ToLower(s)
		}
		return s
	}
	mandatory := 0
	digits := 0
	for _, r := range m.pres {
		if r >= '0' && r <= '9' {
			mandatory++
		}
		if r >= '0' && r <= '9' || r == '#' {
			digits++
		}
	}
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.Itoa(v)
	width := mandatory
	if m.minW > width {
		width = m.minW
	}
	for len(s) < width {
		s = "0" + s
	}
	if m.component == 'Y' && (m.maxW == 2 || (mandatory == 2 && digits == 2 && m.maxW == 0 && len(m.pres) == 2)) && len(s) > 2 {
		s = s[len(s)-2:]
	}
	if m.ordinal {
		s += ordinalSuffix(v)
	}
	if neg {
		s = "-" + s
	}
	return s
}

func ordinalSuffix(v int) string {
	if v%100 >= 11 && v%100 <= 13 {
		return "th"
	}
	switch v % 10 {
	case 1:
		return "st"
	case 2:
		return "nd"
	case 3:
		return "rd"
	}
	return "th"
}

func roman(v int) string {
	vals := []int{1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1}
	syms := []string{"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"}
	var b strings.Builder
	for i, n := range vals {
		for v >= n {
			b.WriteString(syms[i])
			v -= n
		}
	}
	return b.String()
}

func alphabetic(v int) string {
	s := ""
	for v > 0 {
		v--
		s = string(rune('A'+v%26)) + s
		v /= 26
	}
	return s
}

// parseWithPicture implements $toMillis with a picture for the numeric
// components (Y, M, D, d, H, h, m, s, f, P, Z) and month/day names.
func parseWithPicture(s, pic string, now time.Time) (any, error) {
	markers, err := parsePicture(pic)
	if err != nil {
		return nil, err
	}
	var re strings.Builder
	re.WriteString("^")
	var comps []dateMarker
	for i, m := range markers {
		if m.component == 0 {
			re.WriteString(regexp.QuoteMeta(m.literal))
			continue
		}
		isName := strings.HasPrefix(m.pres, "N") || m.pres == "n"
		switch {
		case m.component == 'P':
			re.WriteString("([aApP][mM])")
		case m.component == 'Z' || m.component == 'z':
			re.WriteString("(Z|(?:GMT)?[+-]\\d{1,2}(?::?\\d{2})?)")
		case isName && (m.component == 'M' || m.component == 'F'):
			re.WriteString("([A-Za-z]+)")
		default:
			width := 0
			for _, r := range m.pres {
				if r >= '0' && r <= '9' {
					width++
				}
			}
			next := i+1 < len(markers) && markers[i+1].component != 0
			if next && width > 0 {
				fmt.Fprintf(&re, "(\\d{%d})", width)
			} else {
				re.WriteString("(\\d+)")
			}
		}
		comps = append(comps, m)
	}
	re.WriteString("$")
	rx, err := regexp.Compile(re.String())
	if err != nil {
		return nil, fnErr("D3136", pic, "unsupported date/time picture %q", pic)
	}
	match := rx.FindStringSubmatch(s)
	if match == nil {
		return Undefined, nil
	}
	year, month, day, hour, minute, sec, nanos, off := 1970, 1, 1, 0, 0, 0, 0, 0
	pm, hasP, has12 := false, false, false
	yday := 0
	for i, m := range comps {
		txt := match[i+1]
		n, _ := strconv.Atoi(txt)
		switch m.component {
		case 'Y':
			year = n
			if len(txt) == 2 {
				year += 2000
			}
		case 'M':
			if n == 0 {
				for k, name := range monthNames {
					if strings.HasPrefix(strings.ToLower(name), strings.ToLower(txt)) {
						n = k + 1
					}
				}
			}
			month = n
		case 'D':
			day = n
		case 'd':
			yday = n
		case 'H':
			hour = n
		case 'h':
			hour, has12 = n, true
		case 'm':
			minute = n
		case 's':
			sec = n
		case 'f':
			frac := (txt + "000000000")[:9]
			nanos, _ = strconv.Atoi(frac)
		case 'P':
			hasP, pm = true, strings.EqualFold(txt, "pm")
		case 'Z', 'z':
			z := strings.TrimPrefix(txt, "GMT")
			if z != "Z" {
				z = strings.Replace(z, ":", "", 1)
				if len(z) <= 3 {
					z += "00"
				}
				if len(z) == 4 {
					z = z[:1] + "0" + z[1:]
				}
				if off, err = parseTZ(z); err != nil {
					return nil, err
				}
			}
		}
	}
	hasDate := false
	for _, m := range comps {
		if strings.ContainsRune("YMDdXxWw", rune(m.component)) {
			hasDate = true
		}
	}
	if !hasDate {
		// a time without a date is today's
		now = now.UTC()
		year, month, day = now.Year(), int(now.Month()), now.Day()
	}
	if hasP || has12 {
		hour %= 12
		if pm {
			hour += 12
		}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.FixedZone("", off))
	if yday > 0 {
		t = time.Date(year, 1, yday, hour, minute, sec, nanos, time.FixedZone("", off))
	}
	return float64(t.UnixMilli()), nil
}

package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/dragons-dev/dragons/bench/load"
)

// table is a Markdown table printed with aligned columns.
type table struct {
	head []string
	rows [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) print() {
	width := make([]int, len(t.head))
	for i, h := range t.head {
		width[i] = len(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			if i < len(width) && len(c) > width[i] {
				width[i] = len(c)
			}
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		b.WriteString("|")
		for i := range width {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			fmt.Fprintf(&b, " %-*s |", width[i], c)
		}
		fmt.Println(b.String())
	}
	line(t.head)
	sep := make([]string, len(width))
	for i, w := range width {
		sep[i] = strings.Repeat("-", w)
	}
	line(sep)
	for _, r := range t.rows {
		line(r)
	}
	fmt.Println()
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func rate(r load.Result) string { return fmt.Sprintf("%.0f/s", r.Throughput()) }

func errCell(r load.Result) string {
	if r.Errors == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%s)", r.Errors, shorten(r.FirstErr.Error(), 80))
}

func shorten(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// ratio formats a/b, or "n/a" when b is 0.
func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	if a/b < 1 {
		return fmt.Sprintf("%.2fx", a/b)
	}
	return fmt.Sprintf("%.1fx", a/b)
}

// percentiles renders the latency distribution of r in milliseconds.
func percentiles(what string, r load.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%d):", what, len(r.Latencies))
	for _, q := range []float64{0.5, 0.9, 0.95, 0.99, 0.999, 1} {
		fmt.Fprintf(&b, " p%g %.2f", q*100, float64(r.Percentile(q))/float64(time.Millisecond))
	}
	return b.String()
}

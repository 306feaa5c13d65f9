package notify

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// quantity writes a metric value for people: four significant digits below 1000, whole numbers
// above, with the metric's unit (ms for *_ms, % for error_rate); "n/a" when not finite.
func quantity(metric string, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	var s string
	if math.Abs(v) >= 1000 {
		s = strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	} else {
		s = strconv.FormatFloat(v, 'g', 4, 64)
		if strings.ContainsAny(s, "e") { // |v| < 1e-4: 'g' switched to an exponent
			// Four significant digits in plain notation: the exponent gives the decimals.
			s = strconv.FormatFloat(v, 'f', max(0, 3-int(math.Floor(math.Log10(math.Abs(v))))), 64)
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".") // as 'g' drops trailing zeros
		}
	}
	switch {
	case strings.HasSuffix(metric, "_ms"):
		return s + " ms"
	case metric == "error_rate":
		return s + " %"
	}
	return s
}

// percent writes a probability in [0, 1] as a percentage to a tenth: 0.873 → "87.3 %".
func percent(p float64) string {
	if math.IsNaN(p) || math.IsInf(p, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(math.Round(p*1000)/10, 'f', -1, 64) + " %"
}

// signedPercent writes a deviation in percent with its sign, to a tenth: "+240 %", "-35.5 %".
func signedPercent(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	s := strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	if v >= 0 {
		s = "+" + s
	}
	return s + " %"
}

// score writes a 0–100 score as a whole number.
func score(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
}

// slackTime writes an instant for people, in UTC to the minute.
func slackTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// rfc3339 writes an instant in RFC 3339 UTC, or "" for the zero time.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// mrkdwnEscaper escapes the three characters that Slack's mrkdwn reserves for links and
// mentions, so that a service name or a description cannot ping a channel or forge a link.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escaped escapes s for mrkdwn and shortens it to at most max characters, ending a shortened
// text with "…"; an escape sequence is kept whole or left out.
func escaped(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if out := mrkdwnEscaper.Replace(s); utf8.RuneCountInString(out) <= max {
		return out
	}
	if max <= 0 {
		return ""
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		esc := string(r)
		switch r {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		}
		w := utf8.RuneCountInString(esc)
		if n+w > max-1 { // keep room for the ellipsis
			break
		}
		b.WriteString(esc)
		n += w
	}
	return b.String() + "…"
}

// truncate shortens s to at most n runes, ending a shortened text with "…". Invalid UTF-8 is
// replaced, so the result is always valid UTF-8 (JSON would replace it anyway).
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	i, count := 0, 0
	for j := range s {
		if count == n-1 {
			i = j
			break
		}
		count++
	}
	return s[:i] + "…"
}

// number is a float that encodes as JSON null when it is not finite (NaN, ±Inf), where
// encoding/json would fail.
type number float64

func (v number) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

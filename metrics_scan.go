package omen

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// scanShape is DecodeMetrics' fast path: a single-pass scanner for the common form of both
// message shapes, about five times faster than encoding/json's reflection. It fills msg and
// reports true only when it is certain that json.Unmarshal would succeed and fill msg with the
// same values; anything else — a key with an escape, a key that matches a field only
// case-insensitively, a repeated field, a field of another JSON type than the common one, a
// string the decoder would rewrite (escapes, invalid UTF-8), nesting deeper than scanMaxDepth,
// malformed JSON — makes it report false, and DecodeMetrics takes the slow path, which also
// writes every error message. Number fields alias data.
func scanShape(data []byte, msg *anyShape) bool {
	s := scanner{data: data}
	s.space()
	if !s.object(func(key []byte) bool { return s.topField(key, msg) }) {
		return false
	}
	s.space()
	return s.pos == len(s.data)
}

// scanMaxDepth bounds the nesting of skipped values the scanner follows.
const scanMaxDepth = 32

type scanner struct {
	data  []byte
	pos   int
	depth int
	seen  uint32 // the known fields met so far, one bit each (top level and details apart)
}

// Field bits of scanner.seen.
const (
	fService = 1 << iota
	fTimestamp
	fWindow
	fTotalRequests
	fErrorRate
	fP50
	fP95
	fP99
	fMean
	fUsers
	fIPs
	fRisk
	fTriggeredAt
	fDetails
	detailsShift = 14 // details' fields use the same bits shifted by this much
)

func (s *scanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// object scans an object, calling field for each key with the position at its value; field
// scans the value.
func (s *scanner) object(field func(key []byte) bool) bool {
	if s.pos >= len(s.data) || s.data[s.pos] != '{' {
		return false
	}
	s.pos++
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return true
	}
	for {
		key, ok := s.plainString()
		if !ok {
			return false
		}
		s.space()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return false
		}
		s.pos++
		s.space()
		if !field(key) {
			return false
		}
		if done, ok := s.afterItem('}'); !ok || done {
			return ok
		}
	}
}

// afterItem consumes what follows an item of an object or an array: a comma and the space after
// it, or the closing byte end, which makes done true; ok is false when neither follows.
func (s *scanner) afterItem(end byte) (done, ok bool) {
	s.space()
	if s.pos >= len(s.data) {
		return false, false
	}
	switch s.data[s.pos] {
	case ',':
		s.pos++
		s.space()
		return false, true
	case end:
		s.pos++
		return true, true
	}
	return false, false
}

// mark records a known field, failing on a repeat.
func (s *scanner) mark(bit uint32) bool {
	if s.seen&bit != 0 {
		return false
	}
	s.seen |= bit
	return true
}

func (s *scanner) topField(key []byte, msg *anyShape) bool {
	f := &msg.flatMetrics
	switch string(key) {
	case "service":
		return s.mark(fService) && s.stringInto(&f.Service)
	case "timestamp":
		return s.mark(fTimestamp) && s.stringInto(&f.Timestamp)
	case "window":
		return s.mark(fWindow) && s.windowInto(&f.Window)
	case "total_requests":
		return s.mark(fTotalRequests) && s.numberInto(&f.TotalRequests)
	case "error_rate":
		return s.mark(fErrorRate) && s.numberInto(&f.ErrorRate)
	case "latency_p50_ms":
		return s.mark(fP50) && s.numberInto(&f.LatencyP50)
	case "latency_p95_ms":
		return s.mark(fP95) && s.numberInto(&f.LatencyP95)
	case "latency_p99_ms":
		return s.mark(fP99) && s.numberInto(&f.LatencyP99)
	case "latency_mean_ms":
		return s.mark(fMean) && s.numberInto(&f.LatencyMean)
	case "unique_users":
		return s.mark(fUsers) && s.numberInto(&f.UniqueUsers)
	case "unique_ips":
		return s.mark(fIPs) && s.numberInto(&f.UniqueIPs)
	case "risk_score":
		return s.mark(fRisk) && s.numberInto(&f.RiskScore)
	case "triggered_at":
		return s.mark(fTriggeredAt) && s.stringInto(&msg.TriggeredAt)
	case "details":
		if !s.mark(fDetails) {
			return false
		}
		if s.literal("null") {
			return true
		}
		msg.Details = new(phase4Details)
		return s.object(func(key []byte) bool { return s.detailsField(key, msg.Details) })
	}
	return s.unknown(key, topFieldNames)
}

func (s *scanner) detailsField(key []byte, d *phase4Details) bool {
	switch string(key) {
	case "service":
		return s.mark(fService<<detailsShift) && s.stringInto(&d.Service)
	case "timestamp":
		return s.mark(fTimestamp<<detailsShift) && s.stringInto(&d.Timestamp)
	case "window":
		return s.mark(fWindow<<detailsShift) && s.windowInto(&d.Window)
	case "total_requests":
		return s.mark(fTotalRequests<<detailsShift) && s.numberInto(&d.TotalRequests)
	case "error_rate":
		return s.mark(fErrorRate<<detailsShift) && s.numberInto(&d.ErrorRate)
	case "latency_p50":
		return s.mark(fP50<<detailsShift) && s.numberInto(&d.LatencyP50)
	case "latency_p95":
		return s.mark(fP95<<detailsShift) && s.numberInto(&d.LatencyP95)
	case "latency_p99":
		return s.mark(fP99<<detailsShift) && s.numberInto(&d.LatencyP99)
	case "latency_mean":
		return s.mark(fMean<<detailsShift) && s.numberInto(&d.LatencyMean)
	case "unique_users":
		return s.mark(fUsers<<detailsShift) && s.numberInto(&d.UniqueUsers)
	case "unique_ips":
		return s.mark(fIPs<<detailsShift) && s.numberInto(&d.UniqueIPs)
	case "avg_risk_score":
		return s.mark(fRisk<<detailsShift) && s.numberInto(&d.AvgRiskScore)
	}
	return s.unknown(key, detailsFieldNames)
}

// The JSON names of anyShape's and phase4Details' fields: a key equal to one of them but for
// case is matched by encoding/json, so the scanner leaves it to the slow path.
var (
	topFieldNames = []string{"service", "timestamp", "window", "total_requests", "error_rate", "latency_p50_ms",
		"latency_p95_ms", "latency_p99_ms", "latency_mean_ms", "unique_users", "unique_ips", "risk_score", "triggered_at", "details"}
	detailsFieldNames = []string{"service", "timestamp", "window", "total_requests", "error_rate", "latency_p50",
		"latency_p95", "latency_p99", "latency_mean", "unique_users", "unique_ips", "avg_risk_score"}
)

// unknown skips the value of a key that is no field, unless encoding/json could still match the
// key to a field: case-insensitively, or by Unicode case folding (the Kelvin sign folds to k,
// the long s to s), which only a key with a non-ASCII byte can need.
func (s *scanner) unknown(key []byte, fields []string) bool {
	if !isASCII(key) {
		return false
	}
	for _, name := range fields {
		if len(key) == len(name) && asciiEqualFold(key, name) {
			return false
		}
	}
	return s.skipValue()
}

// asciiEqualFold reports whether the ASCII strings a and b of equal length are equal but for case.
func asciiEqualFold(a []byte, b string) bool {
	for i, c := range a {
		if lower(c) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// literal consumes lit if it comes next.
func (s *scanner) literal(lit string) bool {
	if bytes.HasPrefix(s.data[s.pos:], []byte(lit)) {
		s.pos += len(lit)
		return true
	}
	return false
}

// plainString scans a string without escapes or control characters and returns its contents.
func (s *scanner) plainString() ([]byte, bool) {
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return nil, false
	}
	start := s.pos + 1
	for i := start; i < len(s.data); i++ {
		switch c := s.data[i]; {
		case c == '"':
			s.pos = i + 1
			return s.data[start:i], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// stringInto scans a string field (null leaves it as is, as encoding/json does); a string the
// decoder would rewrite (invalid UTF-8) is left to the slow path.
func (s *scanner) stringInto(dst *string) bool {
	if s.literal("null") {
		return true
	}
	b, ok := s.plainString()
	if !ok || (!isASCII(b) && !utf8.Valid(b)) {
		return false
	}
	*dst = string(b)
	return true
}

// windowInto scans the window field, an interface: a string, a number (float64) or null.
func (s *scanner) windowInto(dst *any) bool {
	if s.literal("null") {
		*dst = nil
		return true
	}
	if s.pos < len(s.data) && s.data[s.pos] == '"' {
		var v string
		if !s.stringInto(&v) {
			return false
		}
		*dst = v
		return true
	}
	raw, ok := s.number()
	if !ok {
		return false
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return false
	}
	*dst = v
	return true
}

// numberInto scans a number field, a json.RawMessage: a number or null.
func (s *scanner) numberInto(dst *json.RawMessage) bool {
	start := s.pos
	if s.literal("null") {
		*dst = s.data[start:s.pos]
		return true
	}
	raw, ok := s.number()
	if !ok {
		return false
	}
	*dst = raw
	return true
}

// number scans a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() ([]byte, bool) {
	d, start := s.data, s.pos
	i := start
	digits := func() bool {
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case !digits():
		return nil, false
	}
	if i < len(d) && d[i] == '.' {
		i++
		if !digits() {
			return nil, false
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if !digits() {
			return nil, false
		}
	}
	s.pos = i
	return d[start:i], true
}

// skipValue scans any JSON value, validating it as encoding/json would.
func (s *scanner) skipValue() bool {
	if s.pos >= len(s.data) {
		return false
	}
	switch s.data[s.pos] {
	case '"':
		return s.skipString()
	case '{':
		if s.depth++; s.depth > scanMaxDepth {
			return false
		}
		ok := s.object(func([]byte) bool { return s.skipValue() })
		s.depth--
		return ok
	case '[':
		if s.depth++; s.depth > scanMaxDepth {
			return false
		}
		ok := s.array()
		s.depth--
		return ok
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	_, ok := s.number()
	return ok
}

func (s *scanner) array() bool {
	s.pos++ // '['
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return true
	}
	for {
		if !s.skipValue() {
			return false
		}
		if done, ok := s.afterItem(']'); !ok || done {
			return ok
		}
	}
}

// skipString scans a string with any valid escapes; raw bytes of any value but control
// characters are valid JSON (encoding/json replaces invalid UTF-8 rather than rejecting it).
func (s *scanner) skipString() bool {
	d := s.data
	for i := s.pos + 1; i < len(d); i++ {
		switch c := d[i]; {
		case c == '"':
			s.pos = i + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			i++
			if i >= len(d) {
				return false
			}
			switch d[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(d) {
					return false
				}
				for _, h := range d[i+1 : i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				i += 4
			default:
				return false
			}
		}
	}
	return false
}

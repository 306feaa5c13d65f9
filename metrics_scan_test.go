package omen

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stacklens/omen/internal/servicegen"
)

// scanCases are messages for the scanner: the fast path must take the first group and leave the
// second to encoding/json, and in both DecodeMetrics must answer as encoding/json does.
var scanCases = []struct {
	msg  string
	fast bool
}{
	{phase4Message, true},
	{flatMessage, true},
	{` {"service":"a","timestamp":"2024-01-15T10:30:00Z","window":3600,"total_requests":null,"tags":["x",{"k":[1,-2.5e3,true,false,null]}],"note":"say \"hi\" \u00e9 \ud83d\ude00"} `, true},
	{`{"details":null,"service":"b","timestamp":"2024-01-15 10:30:00","window":null}`, true},
	{`{"service":"b","timestamp":"2024-01-15 10:30:00","window":"5min","details":{"total_requests":-0,"error_rate":1E2,"x":{}}}`, true},
	{`{"service":"ü","timestamp":"2024-01-15T10:30:00Z"}`, true},
	{`{}`, true},
	// Left to encoding/json:
	{`{"service":"a","service":"b","timestamp":"2024-01-15T10:30:00Z"}`, false},                   // repeated field
	{`{"Service":"a","timestamp":"2024-01-15T10:30:00Z"}`, false},                                 // case-insensitive match
	{`{"service":"a","timestamp":"2024-01-15T10:30:00Z","unique_\u0069ps":3}`, false},             // escaped key
	{"{\"service\":\"a\",\"timestamp\":\"2024-01-15T10:30:00Z\",\"uni\u212aue_users\":3}", false}, // Kelvin sign folds to k
	{`{"service":"a\u0062","timestamp":"2024-01-15T10:30:00Z"}`, false},                           // escaped value
	{"{\"service\":\"a\xff\",\"timestamp\":\"2024-01-15T10:30:00Z\"}", false},                     // invalid UTF-8, replaced
	{`{"service":"a","timestamp":"2024-01-15T10:30:00Z","total_requests":"12"}`, false},           // numeric string
	{`{"service":"a","timestamp":"2024-01-15T10:30:00Z","window":true}`, false},
	{`{"service":"a","timestamp":5}`, false},
	{`{"service":"a","timestamp":"2024-01-15T10:30:00Z"} x`, false},
	{`{"service":"a","total_requests":012}`, false},
	{`{"service":"a","x":"tab	in string"}`, false},
	{`{"service":"a","x":"\q"}`, false},
	{`{"service":"a","window":1e400}`, false},
	{`{"details":{"details":{}}, "a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`, false},
	{`[1]`, false},
	{``, false},
	{`{"service":"a",}`, false},
}

func TestScanShape(t *testing.T) {
	for _, tc := range scanCases {
		var msg anyShape
		if got := scanShape([]byte(tc.msg), &msg); got != tc.fast {
			t.Errorf("scanShape(%s) = %v, want %v", tc.msg, got, tc.fast)
		}
		checkScan(t, []byte(tc.msg))
	}
}

// FuzzScanShape: whatever the fast path accepts, encoding/json decodes to the same message.
func FuzzScanShape(f *testing.F) {
	for _, tc := range scanCases {
		f.Add([]byte(tc.msg))
	}
	s, err := servicegen.Generate(servicegen.Config{Seed: 1, Services: 2, Days: 1})
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := servicegen.WriteJSONLines(&buf, s, servicegen.Mixed); err != nil {
		f.Fatal(err)
	}
	for line := range bytes.Lines(buf.Bytes()) {
		f.Add(bytes.TrimSpace(line))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkScan(t, data) })
}

// checkScan compares the fast path with encoding/json on data.
func checkScan(t *testing.T, data []byte) {
	t.Helper()
	var fast anyShape
	if !scanShape(data, &fast) {
		return
	}
	var slow anyShape
	if err := json.Unmarshal(data, &slow); err != nil {
		t.Fatalf("scanShape accepted %q, which encoding/json rejects: %v", data, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q: scanShape read %+v, encoding/json %+v", data, fast, slow)
	}
}

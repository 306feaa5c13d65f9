package main

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stacklens/omen"
)

// streamCSV returns a CSV series of n hourly values of a daily cycle with a spike at row spike
// (none when negative), with the given line end and timestamp layout.
func streamCSV(n, spike int, eol, layout string) string {
	var b strings.Builder
	b.WriteString("timestamp,value" + eol)
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		v := 100 + 20*math.Sin(2*math.Pi*float64(i)/24) + 3*math.Sin(float64(i*i))
		if i == spike {
			v += 200
		}
		fmt.Fprintf(&b, "%s,%s%s", start.Add(time.Duration(i)*time.Hour).Format(layout), strconv.FormatFloat(v, 'f', 2, 64), eol)
	}
	return b.String()
}

// TestStreamOutput: one row per input row, cells echoed as given, scores in [0, 1] equal to those
// of omen.StreamDetector fed the same rows, and the spike scored near 1.
func TestStreamOutput(t *testing.T) {
	for _, c := range []struct{ name, eol, layout string }{
		{"rfc3339 LF", "\n", time.RFC3339},
		{"naive CRLF", "\r\n", "2006-01-02 15:04:05"},
		{"offset", "\n", "2006-01-02T15:04:05.000-07:00"},
		// RFC 3339 §5.6 allows lowercase separators and a space; they were refused.
		{"lowercase", "\n", "2006-01-02t15:04:05z"},
		{"space and offset", "\n", "2006-01-02 15:04:05+00:00"},
		{"naive with fraction", "\n", "2006-01-02 15:04:05.000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			input := streamCSV(200, 150, c.eol, c.layout)
			code, stdout, stderr := run("stream", "-in", writeFile(t, "s.csv", input))
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			in, err := csv.NewReader(strings.NewReader(input)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			out, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != len(in) || strings.Join(out[0], ",") != "timestamp,value,anomaly_score" {
				t.Fatalf("%d output rows for %d input rows; header %v", len(out), len(in), out[0])
			}
			var d omen.StreamDetector
			for i := 1; i < len(out); i++ {
				if out[i][0] != in[i][0] || out[i][1] != in[i][1] {
					t.Fatalf("row %d: %v does not echo %v", i, out[i][:2], in[i])
				}
				score, err := strconv.ParseFloat(out[i][2], 64)
				if err != nil || !(score >= 0 && score <= 1) {
					t.Fatalf("row %d: score %q", i, out[i][2])
				}
				ts, err := time.Parse(c.layout, out[i][0])
				if err != nil {
					t.Fatal(err)
				}
				v, _ := strconv.ParseFloat(out[i][1], 64)
				if want := d.Add(ts, v); score != want {
					t.Fatalf("row %d: score %v, detector %v", i, score, want)
				}
				if i-1 == 150 && score < 0.9 {
					t.Errorf("spike scored %v", score)
				}
			}
		})
	}
}

// TestStreamOnline: each score depends only on its row and the rows before it.
func TestStreamOnline(t *testing.T) {
	full := streamCSV(120, -1, "\n", time.RFC3339)
	_, outFull, _ := run("stream", "-in", writeFile(t, "full.csv", full))
	lines := strings.SplitAfter(full, "\n")
	prefix := strings.Join(lines[:81], "") // header and 80 rows
	_, outPrefix, errPrefix := run("stream", "-in", writeFile(t, "prefix.csv", prefix))
	if outPrefix == "" || !strings.HasPrefix(outFull, outPrefix) {
		t.Errorf("scores of the first 80 rows change with later rows (%s)", errPrefix)
	}
}

func TestStreamBadInput(t *testing.T) {
	cases := []struct {
		name, content string
		want          []string // substrings of the one stderr line
	}{
		{"no value column", "timestamp,y\n2024-01-01T00:00:00Z,1\n", []string{`no column "value"`}},
		{"no timestamp column", "time,value\n2024-01-01T00:00:00Z,1\n", []string{`no column "timestamp"`}},
		{"non-numeric", "timestamp,value\n2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,abc\n", []string{"row 2", "line 3", `column "value"`, "abc"}},
		{"empty value", "timestamp,value\n2024-01-01T00:00:00Z,\n", []string{"row 1", `column "value"`, "empty"}},
		{"NaN", "timestamp,value\n2024-01-01T00:00:00Z,NaN\n", []string{"row 1", `column "value"`}},
		{"bad timestamp", "timestamp,value\n2024-01-01T00:00:00Z,1\n01/02/2024,2\n", []string{"row 2", `column "timestamp"`, "01/02/2024"}},
		{"unordered", "timestamp,value\n2024-01-01T01:00:00Z,1\n2024-01-01T00:00:00Z,2\n", []string{"row 2", `column "timestamp"`, "not after"}},
		{"duplicate", "timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:00:00,2\n", []string{"row 2", "not after"}},
		{"out of range", "timestamp,value\n1200-01-01T00:00:00Z,1\n", []string{"row 1", "years"}},
		{"empty file", "", []string{"empty file"}},
		{"header only", "timestamp,value\n", []string{"no data rows"}},
		{"ragged", "timestamp,value\n2024-01-01T00:00:00Z,1,3\n", []string{"row 1", "3 cells"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "series.csv", c.content)
			code, stdout, stderr := run("stream", "-in", path)
			checkStreamFailure(t, code, stdout, stderr, append(c.want, path))
		})
	}
	code, stdout, stderr := run("stream", "-in", "/nonexistent/series.csv")
	checkStreamFailure(t, code, stdout, stderr, []string{"/nonexistent/series.csv"})
	code, stdout, stderr = run("stream")
	checkStreamFailure(t, code, stdout, stderr, []string{"-in"})
	code, stdout, stderr = run("stream", "-in", "x.csv", "-bogus")
	checkStreamFailure(t, code, stdout, stderr, []string{"bogus"})
}

func checkStreamFailure(t *testing.T, code int, stdout, stderr string, want []string) {
	t.Helper()
	if code == 0 {
		t.Fatalf("exit 0, stdout %q", stdout)
	}
	if stdout != "" {
		t.Errorf("partial output on failure: %q", stdout)
	}
	if strings.Count(strings.TrimSuffix(stderr, "\n"), "\n") > 0 {
		t.Errorf("stderr is not one line: %q", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q lacks %q", stderr, w)
		}
	}
}

// FuzzStreamCLI: any content given to `omen stream` either succeeds with one scored row per
// input row or fails with one line on stderr and nothing on stdout; it never panics.
func FuzzStreamCLI(f *testing.F) {
	f.Add(streamCSV(40, 35, "\n", time.RFC3339))
	f.Add(streamCSV(5, -1, "\r\n", "2006-01-02 15:04:05"))
	f.Add("timestamp,value\n2024-01-01T00:00:00Z,1e308\n2024-01-01T00:00:01Z,-1e308\n")
	f.Add("\ufefftimestamp,value\n\"2024-01-01T00:00:00Z\",\" 5\"\n")
	f.Add("value,timestamp,extra\n1,2024-01-01T00:00:00+05:00,x\n")
	f.Fuzz(func(t *testing.T, content string) {
		path := filepath.Join(t.TempDir(), "s.csv")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := run("stream", "-in", path)
		if code != 0 {
			if stdout != "" || strings.Count(strings.TrimSuffix(stderr, "\n"), "\n") > 0 {
				t.Fatalf("failure output: stdout %q stderr %q", stdout, stderr)
			}
			return
		}
		out, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
		if err != nil {
			t.Fatalf("output is not CSV: %v", err)
		}
		for _, row := range out[1:] {
			if s, err := strconv.ParseFloat(row[2], 64); err != nil || !(s >= 0 && s <= 1) {
				t.Fatalf("score %q", row[2])
			}
		}
	})
}

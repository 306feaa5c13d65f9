package servicegen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLabelsRoundTrip(t *testing.T) {
	s := mustStream(t, defaultStream)
	var b bytes.Buffer
	if err := WriteLabels(&b, s.Incidents); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLabels(&b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s.Incidents, got); diff != "" {
		t.Errorf("labels changed in a round trip (-want +got):\n%s", diff)
	}
}

func TestReadCommittedLabels(t *testing.T) {
	f, err := os.Open(filepath.Join(goldenDir, "labels.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ReadLabels(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(mustStream(t, defaultStream).Incidents) {
		t.Errorf("%d committed labels, want %d", len(got), len(mustStream(t, defaultStream).Incidents))
	}
}

const validSpike = `{"service":"api","kind":"error_spike","metrics":["error_rate"],"start":"2024-01-05T10:00:00Z","end":"2024-01-05T11:00:00Z","magnitude":12.5,"description":"x"}`
const validRamp = `{"service":"api","kind":"ramp","metrics":["error_rate"],"start":"2024-01-05T10:00:00Z","end":"2024-01-05T20:00:00Z","magnitude":7,"threshold":5,"cross":"2024-01-05T18:00:00Z","description":"x"}`

func TestReadLabelsErrors(t *testing.T) {
	for _, tc := range []struct {
		name, input, want string
	}{
		{"not json", "{", "line 1"},
		{"two values", validSpike + validSpike, "more than one JSON value"},
		{"unknown field", strings.Replace(validSpike, `"magnitude"`, `"size"`, 1), "unknown field"},
		{"empty service", strings.Replace(validSpike, `"api"`, `""`, 1), "empty service"},
		{"unknown kind", strings.Replace(validSpike, "error_spike", "blip", 1), `unknown kind "blip"`},
		{"no metrics", strings.Replace(validSpike, `["error_rate"]`, `[]`, 1), "no metrics"},
		{"unknown metric", strings.Replace(validSpike, `["error_rate"]`, `["cpu"]`, 1), `unknown metric "cpu"`},
		{"missing end", strings.Replace(validSpike, `"end":"2024-01-05T11:00:00Z",`, "", 1), "missing start or end"},
		{"end before start", strings.Replace(validSpike, "11:00:00Z", "09:00:00Z", 1), "before start"},
		{"bad time", strings.Replace(validSpike, "11:00:00Z", "11h", 1), "line 1"},
		{"threshold on a spike", strings.Replace(validSpike, `"magnitude"`, `"threshold":5,"magnitude"`, 1), "threshold or cross"},
		{"ramp without threshold", strings.Replace(validRamp, `"threshold":5,`, "", 1), "ramp threshold"},
		{"ramp without cross", strings.Replace(validRamp, `"cross":"2024-01-05T18:00:00Z",`, "", 1), "without cross"},
		{"cross after end", strings.Replace(validRamp, "18:00:00Z", "21:00:00Z", 1), "outside"},
		{"second line bad", validSpike + "\n\n" + strings.Replace(validSpike, "error_spike", "blip", 1), "line 3"},
	} {
		_, err := ReadLabels(strings.NewReader(tc.input))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	got, err := ReadLabels(strings.NewReader("\n" + validSpike + "\r\n  \n" + validRamp + "\n"))
	if err != nil || len(got) != 2 || got[1].Cross == nil {
		t.Errorf("two valid labels with blank lines: %v, %v", got, err)
	}
}

// FuzzReadLabels checks that ReadLabels never panics and that whatever it accepts survives a
// round trip through WriteLabels unchanged.
func FuzzReadLabels(f *testing.F) {
	for _, seed := range []string{validSpike, validRamp, validSpike + "\n" + validRamp, "", "{}", "null", `{"kind":"ramp"}`, "[1]\n"} {
		f.Add([]byte(seed))
	}
	if b, err := os.ReadFile(filepath.Join(goldenDir, "labels.jsonl")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		first, err := ReadLabels(bytes.NewReader(data))
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := WriteLabels(&b, first); err != nil {
			t.Fatal(err)
		}
		second, err := ReadLabels(&b)
		if err != nil {
			t.Fatalf("rewritten labels rejected: %v\n%s", err, b.Bytes())
		}
		if diff := cmp.Diff(first, second); diff != "" {
			t.Errorf("round trip changed the labels (-first +second):\n%s", diff)
		}
	})
}

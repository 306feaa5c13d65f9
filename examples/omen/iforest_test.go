package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stacklens/omen/internal/testenv"
)

// run runs the command line and returns its exit status, stdout and stderr.
func run(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := runMain(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// writeFile writes content to a new file in a temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestIforestShuttle(t *testing.T) {
	path := filepath.Join(testenv.Shared(t), "datasets", "odds", "shuttle.csv")
	code, out, errOut := run("iforest", "-train", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[0] != "score" {
		t.Errorf("header %q, want score", lines[0])
	}
	if got := len(lines) - 1; got != 49097 {
		t.Errorf("%d scores, want 49097", got)
	}
	for i, line := range lines[1:] {
		s, err := strconv.ParseFloat(line, 64)
		if err != nil || !(s > 0 && s <= 1) {
			t.Fatalf("score %d = %q, want a number in (0, 1]", i, line)
		}
	}
}

func TestIforestScoreFile(t *testing.T) {
	train := writeFile(t, "train.csv", "a,b,label\n1,10,0\n2,11,0\n3,12,0\n2,10,0\n1,11,0\n3,11,0\n")
	// Columns in another order, an extra column, no label: matched by name.
	score := writeFile(t, "score.csv", "b,extra,a\r\n11,x,2\r\n500,y,90\r\n")
	code, out, errOut := run("iforest", "-train", train, "-score", score, "-trees", "50", "-seed", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Fields(out)
	if len(lines) != 3 || lines[0] != "score" {
		t.Fatalf("output %q, want a header and 2 scores", out)
	}
	inlier, _ := strconv.ParseFloat(lines[1], 64)
	outlier, _ := strconv.ParseFloat(lines[2], 64)
	if !(outlier > inlier) {
		t.Errorf("the far row scores %v, not above the central row's %v", outlier, inlier)
	}
	// Same seed, same scores; the extended forest runs too.
	if _, again, _ := run("iforest", "-train", train, "-score", score, "-trees", "50", "-seed", "3"); again != out {
		t.Errorf("same seed gave other scores")
	}
	if code, _, errOut := run("iforest", "-train", train, "-extension", "1"); code != 0 {
		t.Errorf("-extension 1: exit %d: %s", code, errOut)
	}
}

func TestIforestBadInput(t *testing.T) {
	good := writeFile(t, "good.csv", "a,b\n1,2\n3,4\n5,6\n")
	tests := []struct {
		name string
		args []string
		want string // substring of the one stderr line
	}{
		{"no -train", []string{"iforest"}, "-train is required"},
		{"missing file", []string{"iforest", "-train", "/nonexistent/x.csv"}, "/nonexistent/x.csv"},
		{"empty file", []string{"iforest", "-train", writeFile(t, "empty.csv", "")}, "empty.csv: empty file"},
		{"header only", []string{"iforest", "-train", writeFile(t, "header.csv", "a,b\n")}, "header.csv: no data rows"},
		{"non-numeric", []string{"iforest", "-train", writeFile(t, "text.csv", "a,b\n1,2\n3,x\n")}, `text.csv: row 2 (line 3), column "b": "x" is not a number`},
		{"NaN cell", []string{"iforest", "-train", writeFile(t, "nan.csv", "a,b\n1,NaN\n3,4\n")}, `nan.csv: row 1 (line 2), column "b": "NaN" is not a finite number`},
		{"empty cell", []string{"iforest", "-train", writeFile(t, "hole.csv", "a,b\n1,2\n,4\n")}, `hole.csv: row 2 (line 3), column "a": empty cell`},
		{"ragged", []string{"iforest", "-train", writeFile(t, "ragged.csv", "a,b\n1,2\n3\n")}, "ragged.csv: row 2 (line 3): 1 cells, the header has 2"},
		{"blank line", []string{"iforest", "-train", writeFile(t, "blank.csv", "a,b\n1,2\n\n3,4\n")}, "blank.csv: row 2 (line 3): a blank line, the header has 2 cells"},
		{"only a label", []string{"iforest", "-train", writeFile(t, "label.csv", "label\n1\n0\n")}, `no feature columns besides "label"`},
		{"one row", []string{"iforest", "-train", writeFile(t, "one.csv", "a\n1\n")}, "one.csv: isoforest: need at least 2 rows"},
		{"score lacks a column", []string{"iforest", "-train", good, "-score", writeFile(t, "s.csv", "a\n1\n")}, `s.csv: no column "b"`},
		// The second column was silently ignored: both were read as the first.
		{"repeated column", []string{"iforest", "-train", writeFile(t, "dup.csv", "a,a\n1,100\n2,200\n")}, `dup.csv: columns 1 and 2 are both named "a"`},
		{"unnamed feature", []string{"iforest", "-train", writeFile(t, "blank.csv", "a,\n1,100\n2,200\n")}, `blank.csv: column 2 has no name`},
		// A name with a line break kept the error on one line only quoted.
		{"column list on one line", []string{"iforest", "-train", good, "-score", writeFile(t, "nl.csv", "\"x\ny\"\n1\n")}, `nl.csv: no column "a" (columns: "x\ny")`},
		{"bad extension", []string{"iforest", "-train", good, "-extension", "5"}, "ExtensionLevel = 5"},
		{"bad flag", []string{"iforest", "-train", good, "-trees", "many"}, "invalid value"},
		{"stray argument", []string{"iforest", "-train", good, "extra"}, `unexpected argument "extra"`},
		{"unknown command", []string{"forest"}, `unknown command "forest"`},
	}
	for _, tt := range tests {
		code, out, errOut := run(tt.args...)
		if code == 0 {
			t.Errorf("%s: exit 0, want failure", tt.name)
		}
		if out != "" {
			t.Errorf("%s: printed %q to stdout on failure", tt.name, out)
		}
		if !strings.Contains(errOut, tt.want) {
			t.Errorf("%s: stderr %q does not contain %q", tt.name, errOut, tt.want)
		}
		if tt.name != "unknown command" && strings.Contains(strings.TrimSuffix(errOut, "\n"), "\n") { // that one adds the usage
			t.Errorf("%s: stderr is not one line: %q", tt.name, errOut)
		}
	}
	// -help prints the usage on stdout and succeeds, as the other commands' do.
	if code, out, errOut := run("iforest", "-help"); code != 0 || !strings.Contains(out, "-sample-size") || errOut != "" {
		t.Errorf("iforest -help: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

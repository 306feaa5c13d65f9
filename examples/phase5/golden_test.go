package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"hash"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stacklens/omen"
)

var update = flag.Bool("update", false, "rewrite testdata/phase5/replay.json from the bundled replay")

// goldenPath is the digest of the bundled replay's -out output, in the root module's testdata.
var goldenPath = filepath.Join("..", "..", "testdata", "phase5", "replay.json")

// headPerKind is how many records of each kind the golden file keeps in full, to show what
// changed when the digest no longer matches.
const headPerKind = 3

// golden summarises an -out output: its digest, size and records per kind, each kind's digest,
// and the first records of each kind.
type golden struct {
	Command string                       `json:"command"`
	SHA256  string                       `json:"sha256"`
	Bytes   int                          `json:"bytes"`
	Counts  map[string]int               `json:"counts"`
	Kinds   map[string]string            `json:"sha256_by_kind"`
	Head    map[string][]json.RawMessage `json:"head"`
}

func summarize(t *testing.T, out []byte) golden {
	t.Helper()
	sum := sha256.Sum256(out)
	g := golden{
		Command: "go test ./examples/phase5 -run TestDeterministicReplay -update",
		SHA256:  hex.EncodeToString(sum[:]),
		Bytes:   len(out),
		Counts:  map[string]int{},
		Kinds:   map[string]string{},
		Head:    map[string][]json.RawMessage{},
	}
	hashes := map[string]hash.Hash{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var env struct {
			Kind   string          `json:"kind"`
			Record json.RawMessage `json:"record"`
		}
		if err := json.Unmarshal(sc.Bytes(), &env); err != nil {
			t.Fatalf("-out line %q: %v", sc.Bytes(), err)
		}
		h, ok := hashes[env.Kind]
		if !ok {
			h = sha256.New()
			hashes[env.Kind] = h
		}
		h.Write(sc.Bytes())
		h.Write([]byte{'\n'})
		g.Counts[env.Kind]++
		if len(g.Head[env.Kind]) < headPerKind {
			g.Head[env.Kind] = append(g.Head[env.Kind], env.Record)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for kind, h := range hashes {
		g.Kinds[kind] = hex.EncodeToString(h.Sum(nil))
	}
	return g
}

// TestDeterministicReplay checks that the bundled replay's output is byte-identical through
// Kafka and through the engines alone (-direct) at GOMAXPROCS 1 and 2, and equal to the golden
// digest in testdata/phase5/replay.json. When the engine's output changes on purpose, refresh
// the file with
//
//	go test ./examples/phase5 -run TestDeterministicReplay -update
func TestDeterministicReplay(t *testing.T) {
	two := bundledRun(t).out
	for _, c := range []struct {
		name   string
		procs  int
		direct bool
	}{
		{"Kafka at GOMAXPROCS 1", 1, false},
		{"-direct at GOMAXPROCS 1", 1, true},
		{"-direct at GOMAXPROCS 2", 2, true}, // services in parallel
	} {
		if out := runCommand(t, c.procs, options{direct: c.direct}).out; !bytes.Equal(out, two) {
			t.Errorf("-out %s differs from -out through Kafka at GOMAXPROCS 2: %s", c.name, firstDifference(out, two))
		}
	}
	got := summarize(t, two)
	if *update {
		data, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", goldenPath)
		return
	}
	data, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	var want golden
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("%s: %v", goldenPath, err)
	}
	if got.SHA256 != want.SHA256 {
		t.Errorf("the bundled replay's output differs from %s:\n%s\nIf the engine changed on purpose, run: %s",
			goldenPath, describeChange(want, got), want.Command)
	}
}

// describeChange lists what differs between two summaries: sizes, counts and digests per kind,
// and the first records of each kind.
func describeChange(want, got golden) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  bytes: %d, want %d\n", got.Bytes, want.Bytes)
	kinds := slices.Sorted(maps.Keys(want.Counts))
	for k := range got.Counts {
		if _, ok := want.Counts[k]; !ok {
			kinds = append(kinds, k)
		}
	}
	for _, k := range kinds {
		if got.Kinds[k] == want.Kinds[k] {
			fmt.Fprintf(&b, "  %s: %d records, unchanged\n", k, got.Counts[k])
			continue
		}
		fmt.Fprintf(&b, "  %s: %d records, want %d; changed\n", k, got.Counts[k], want.Counts[k])
		for i := range max(len(got.Head[k]), len(want.Head[k])) {
			var g, w string
			if i < len(got.Head[k]) {
				g = compact(got.Head[k][i])
			}
			if i < len(want.Head[k]) {
				w = compact(want.Head[k][i])
			}
			if g != w {
				fmt.Fprintf(&b, "    record %d:\n      got  %s\n      want %s\n", i+1, g, w)
			}
		}
	}
	return b.String()
}

// compact returns the JSON value without insignificant space, or as it is when it is not JSON.
func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

// firstDifference describes the first line at which a and b differ.
func firstDifference(a, b []byte) string {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := range min(len(la), len(lb)) {
		if !bytes.Equal(la[i], lb[i]) {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("one output is a prefix of the other (%d and %d lines)", len(la), len(lb))
}

// TestRestart replays the first part of the bundled stream, releases the engines' state into a
// store as a stopping service does, replays the rest with new engines restored from the store,
// and checks that the output equals the uninterrupted replay's, byte for byte: with the engines
// called directly (released by hand), and through Kafka (released by the consumers as they stop;
// the rest is consumed by new consumers).
func TestRestart(t *testing.T) {
	want := bundledRun(t).out
	input, source, err := openInput("")
	if err != nil {
		t.Fatal(err)
	}
	msgs, bad, err := readMessages(input)
	if err != nil || len(bad) > 0 {
		t.Fatalf("bundled stream: %v, %d bad lines", err, len(bad))
	}
	ctx := context.Background()
	// Cut between two windows of one timestamp, so that some services stop before the others.
	cut := len(msgs)/2 + 3
	for _, path := range []string{"direct", "Kafka"} {
		t.Run(path, func(t *testing.T) {
			store, rec := omen.NewMemoryStore(), newRecorder()
			replay := func(part []message) engines {
				t.Helper()
				e, err := newEngines(engineConfig{}, store)
				if err != nil {
					t.Fatal(err)
				}
				if path == "direct" {
					if _, err := replayDirect(ctx, part, e, rec, store, source, io.Discard); err != nil {
						t.Fatal(err)
					}
					if err := e.release(ctx); err != nil {
						t.Fatal(err)
					}
				} else if _, err := replayKafka(ctx, nil, [components]string{detectorGroup, alerterGroup}, part, nil, e, rec, store); err != nil {
					t.Fatal(err)
				}
				return e
			}
			first := replay(msgs[:cut])
			if n := len(first.detector.Services()) + len(first.alerter.Services()); n != 0 {
				t.Fatalf("%d services still held after the release", n)
			}
			replay(msgs[cut:])
			var got bytes.Buffer
			if err := writeRecords(&got, rec.ordered(msgs)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("output after a restart at window %d differs from the uninterrupted replay's: %s",
					cut, firstDifference(got.Bytes(), want))
			}
		})
	}
}

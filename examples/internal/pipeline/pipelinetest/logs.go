package pipelinetest

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

// Logs is an io.Writer that keeps what a program logs, safe for concurrent use, and finds its
// JSON records (LOG_FORMAT=json).
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything written so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Records returns the JSON log records written so far whose msg is msg.
func (l *Logs) Records(msg string) []map[string]any {
	var out []map[string]any
	for line := range strings.Lines(l.String()) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// Wait waits until a JSON record with msg is logged and returns the first.
func (l *Logs) Wait(t testing.TB, msg string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		if recs := l.Records(msg); len(recs) > 0 {
			return recs[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the logs:\n%s", msg, l.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

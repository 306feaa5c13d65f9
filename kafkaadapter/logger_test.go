package kafkaadapter

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestClientLogger(t *testing.T) {
	var b strings.Builder
	l := clientLogger{slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if l.Level() != kgo.LogLevelWarn {
		t.Errorf("level %v, want warn", l.Level())
	}
	l.Log(kgo.LogLevelWarn, "metadata refresh failed", "broker", 1)
	l.Log(kgo.LogLevelInfo, "not shown")
	if got, want := b.String(), `level=WARN msg="metadata refresh failed" broker=1 component=franz-go`; !strings.Contains(got, want) || strings.Contains(got, "not shown") {
		t.Errorf("logged %q, want %q only", got, want)
	}
	if (clientLogger{slog.New(slog.DiscardHandler)}).Level() != kgo.LogLevelNone {
		t.Error("a discarding logger should turn the client's logs off")
	}
}

package kafkaadapter

import (
	"strings"
	"testing"
)

func TestWritePrometheusEscapesLabels(t *testing.T) {
	var b strings.Builder
	s := Stats{Published: map[string]int64{"a\"b\\c\nd": 3}}
	if err := s.WritePrometheus(&b, "x"); err != nil {
		t.Fatal(err)
	}
	if want := `x_published_total{topic="a\"b\\c\nd"} 3` + "\n"; !strings.Contains(b.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, b.String())
	}
	if !strings.Contains(b.String(), `x_processing_latency_seconds_bucket{le="+Inf"} 0`) {
		t.Errorf("an empty histogram lacks its +Inf bucket:\n%s", b.String())
	}
}

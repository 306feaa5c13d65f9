package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/stacklens/omen"
)

// maxLine bounds one message; longer lines are reported as bad and skipped. It leaves room, under
// the producer's limit on a record (kgo's default ProducerBatchMaxBytes, 1,000,012 bytes), for
// the key (a service name of at most 1,020 bytes) and the record's framing: a longer line passed
// the reader and then failed the whole replay at the broker.
const maxLine = 990_000

// badLine is an input line that could not be replayed.
type badLine struct {
	Line   int
	Reason string
	raw    []byte // the line, nil when it is too long to keep
}

// message is one decoded input line.
type message struct {
	line    int
	raw     []byte // the line as read
	metrics omen.Metrics
}

// readMessages decodes JSON lines of analytics messages (either accepted shape). Blank lines are
// skipped; a line that does not decode, or whose window is not after the previous window of its
// service (a stream replays each service's windows in order), is reported in bad and the reading
// goes on.
func readMessages(r io.Reader) (msgs []message, bad []badLine, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	last := map[string]message{} // the latest window of each service
	for line := 1; ; line++ {
		raw, tooLong, err := readLine(br)
		if err == io.EOF && len(raw) == 0 && !tooLong {
			return msgs, bad, nil
		}
		if err != nil && err != io.EOF {
			return nil, nil, fmt.Errorf("line %d: %w", line, err)
		}
		switch {
		case tooLong:
			bad = append(bad, badLine{Line: line, Reason: fmt.Sprintf("longer than %d bytes", maxLine)})
		case len(bytes.TrimSpace(raw)) == 0:
		default:
			m, derr := omen.DecodeMetrics(raw)
			switch prev, seen := last[m.Service]; {
			case derr != nil:
				bad = append(bad, badLine{Line: line, Reason: derr.Error(), raw: raw})
			case seen && !m.Timestamp.After(prev.metrics.Timestamp):
				// Not produced either: on a partition it would pass for a redelivery.
				bad = append(bad, badLine{Line: line, Reason: fmt.Sprintf("window %s of %s is not after the service's window %s of line %d",
					m.Timestamp.Format(time.RFC3339), m.Service, prev.metrics.Timestamp.Format(time.RFC3339), prev.line)})
			default:
				msg := message{line: line, raw: raw, metrics: m}
				msgs = append(msgs, msg)
				last[m.Service] = msg
			}
		}
		if err == io.EOF {
			return msgs, bad, nil
		}
	}
}

// readLine returns the next line without its end; tooLong reports a line past maxLine, whose
// rest is consumed.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > maxLine {
			tooLong = true
		} else {
			line = append(line, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimRight(line, "\r\n"), tooLong, err
	}
}

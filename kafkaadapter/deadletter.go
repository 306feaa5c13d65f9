package kafkaadapter

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/stacklens/omen"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Reason says why a message went to the dead-letter topic.
type Reason string

// The reasons of dead letters.
const (
	// Oversized: the message is larger than the maximum (WithMaxMessageBytes); it is not decoded.
	Oversized Reason = "oversized"
	// Undecodable: not a JSON object, or a field of the wrong JSON type.
	Undecodable Reason = "undecodable"
	// Incomplete: no service, or no timestamp.
	Incomplete Reason = "incomplete"
	// Invalid: a value outside its domain (a negative or fractional count, a non-finite number,
	// an error rate above 100 %, an unreadable timestamp or window, a malformed service name).
	Invalid Reason = "invalid"
	// Unprocessable: the Processor rejected the window (an error wrapping
	// omen.ErrInvalidMetrics), failed on every attempt (with a WithProcessAttempts bound), or
	// produced a record that cannot be encoded.
	Unprocessable Reason = "unprocessable"
	// Unstorable: the Sink rejected the window's results for good (an error wrapping
	// omen.ErrRejectedRecord, such as a value out of a column's range).
	Unstorable Reason = "unstorable"
)

// Reasons lists every reason.
var Reasons = []Reason{Oversized, Undecodable, Incomplete, Invalid, Unprocessable, Unstorable}

// The headers that a dead letter carries after the original message's own headers.
const (
	HeaderReason          = "dlq-reason"           // a Reason
	HeaderError           = "dlq-error"            // the detailed error
	HeaderSourceTopic     = "dlq-source-topic"     // where the message was read
	HeaderSourcePartition = "dlq-source-partition" // decimal
	HeaderSourceOffset    = "dlq-source-offset"    // decimal
	HeaderSourceTimestamp = "dlq-source-timestamp" // the message's timestamp, RFC 3339 UTC
	HeaderOriginalSize    = "dlq-original-size"    // set only when the value was truncated: its length in bytes
	// Set only when the dead-letter topic refused the record whole and the key was cut or the
	// original headers dropped: the key's length in bytes, the number of headers dropped.
	HeaderOriginalKeySize = "dlq-original-key-size"
	HeaderDroppedHeaders  = "dlq-dropped-headers"
)

// When the dead-letter topic's size limit refuses a dead letter, it is produced again with at
// most truncatedValueBytes of the value and truncatedKeyBytes of the key, and without the
// original headers if they hold more than droppedHeaderBytes. The error header never holds more
// than maxErrorBytes.
const (
	truncatedValueBytes = 64 << 10
	truncatedKeyBytes   = 4 << 10
	droppedHeaderBytes  = 16 << 10
	maxErrorBytes       = 4 << 10
)

// DeadLetter is a message of the dead-letter topic. Its record has the original key, the
// original value (truncated only when the dead-letter topic refused it whole), the original
// headers followed by the dlq-* headers, which DecodeDeadLetter reads back.
type DeadLetter struct {
	Reason       Reason
	Error        string
	Topic        string // source topic
	Partition    int32
	Offset       int64
	Timestamp    time.Time // of the source message, UTC
	Key, Value   []byte
	OriginalSize int // the original value's length when Value is a truncated prefix, else 0
	// OriginalKeySize is the original key's length when Key is a truncated prefix, else 0, and
	// DroppedHeaders the number of the original message's headers left out (0: all are there).
	OriginalKeySize, DroppedHeaders int
}

// Truncated reports whether Value is only a prefix of the original value.
func (d DeadLetter) Truncated() bool { return d.OriginalSize > 0 }

// deadLetterRecord builds the dead letter of src.
func deadLetterRecord(topic string, src *kgo.Record, reason Reason, cause error) *kgo.Record {
	h := make([]kgo.RecordHeader, 0, len(src.Headers)+6)
	h = append(h, src.Headers...)
	h = append(h,
		kgo.RecordHeader{Key: HeaderReason, Value: []byte(reason)},
		kgo.RecordHeader{Key: HeaderError, Value: clipError(cause.Error())},
		kgo.RecordHeader{Key: HeaderSourceTopic, Value: []byte(src.Topic)},
		kgo.RecordHeader{Key: HeaderSourcePartition, Value: strconv.AppendInt(nil, int64(src.Partition), 10)},
		kgo.RecordHeader{Key: HeaderSourceOffset, Value: strconv.AppendInt(nil, src.Offset, 10)},
		kgo.RecordHeader{Key: HeaderSourceTimestamp, Value: []byte(src.Timestamp.UTC().Format(time.RFC3339Nano))},
	)
	return &kgo.Record{Topic: topic, Key: src.Key, Value: src.Value, Headers: h}
}

// clipError returns the error text, cut to maxErrorBytes at a character boundary.
func clipError(s string) []byte {
	if len(s) <= maxErrorBytes {
		return []byte(s)
	}
	cut := maxErrorBytes - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return []byte(s[:cut] + "…")
}

// truncateDeadLetter returns a copy of the dead letter r cut down for a dead-letter topic that
// refused it whole: the value and the key keep only a prefix, and the original headers go when
// they are large, each noted in a header; nil when nothing is large enough to cut.
func truncateDeadLetter(r *kgo.Record) *kgo.Record {
	own := dlqStart(r.Headers) // the original headers come before
	ownBytes := 0
	for _, h := range r.Headers[:own] {
		ownBytes += len(h.Key) + len(h.Value)
	}
	if len(r.Value) <= truncatedValueBytes && len(r.Key) <= truncatedKeyBytes && ownBytes <= droppedHeaderBytes {
		return nil // truncation cannot help
	}
	t := cloneRecord(r)
	note := func(key string, n int) {
		t.Headers = append(t.Headers, kgo.RecordHeader{Key: key, Value: strconv.AppendInt(nil, int64(n), 10)})
	}
	if ownBytes > droppedHeaderBytes {
		t.Headers = t.Headers[own:]
		note(HeaderDroppedHeaders, own)
	}
	if len(r.Value) > truncatedValueBytes {
		t.Value = r.Value[:truncatedValueBytes]
		note(HeaderOriginalSize, len(r.Value))
	}
	if len(r.Key) > truncatedKeyBytes {
		t.Key = r.Key[:truncatedKeyBytes]
		note(HeaderOriginalKeySize, len(r.Key))
	}
	return t
}

// isDeadLetter reports whether r was built by deadLetterRecord.
func isDeadLetter(r *kgo.Record) bool {
	_, ok := lastHeader(r, HeaderReason)
	return ok
}

// DecodeDeadLetter reads a record of the dead-letter topic. It fails when a dlq-* header is
// missing or malformed.
func DecodeDeadLetter(r *kgo.Record) (DeadLetter, error) {
	d := DeadLetter{Key: r.Key, Value: r.Value}
	get := func(key string) (string, error) {
		v, ok := lastHeader(r, key)
		if !ok {
			return "", fmt.Errorf("kafkaadapter: dead letter without header %s", key)
		}
		return v, nil
	}
	var errs []error
	field := func(key string, parse func(string) error) {
		v, err := get(key)
		if err == nil {
			err = parse(v)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	field(HeaderReason, func(v string) error {
		d.Reason = Reason(v)
		for _, ok := range Reasons {
			if d.Reason == ok {
				return nil
			}
		}
		return fmt.Errorf("kafkaadapter: dead letter with unknown reason %q", v)
	})
	field(HeaderError, func(v string) error { d.Error = v; return nil })
	field(HeaderSourceTopic, func(v string) error { d.Topic = v; return nil })
	field(HeaderSourcePartition, func(v string) error {
		p, err := strconv.ParseInt(v, 10, 32)
		d.Partition = int32(p)
		return wrapHeader(HeaderSourcePartition, err)
	})
	field(HeaderSourceOffset, func(v string) error {
		var err error
		d.Offset, err = strconv.ParseInt(v, 10, 64)
		return wrapHeader(HeaderSourceOffset, err)
	})
	field(HeaderSourceTimestamp, func(v string) error {
		t, err := time.Parse(time.RFC3339Nano, v)
		d.Timestamp = t.UTC()
		return wrapHeader(HeaderSourceTimestamp, err)
	})
	// The optional counts of a cut dead letter: each above what is left (an original size above
	// the value's, a key size above the key's, at least one header dropped).
	count := func(key string, above int, dst *int) {
		if v, ok := ownHeader(r, key); ok {
			n, err := strconv.Atoi(v)
			if err == nil && n <= above {
				err = fmt.Errorf("%d, want more than %d", n, above)
			}
			errs = append(errs, wrapHeader(key, err))
			*dst = n
		}
	}
	count(HeaderOriginalSize, len(r.Value), &d.OriginalSize)
	count(HeaderOriginalKeySize, len(r.Key), &d.OriginalKeySize)
	count(HeaderDroppedHeaders, 0, &d.DroppedHeaders)
	if err := errors.Join(errs...); err != nil {
		return DeadLetter{}, err
	}
	return d, nil
}

func wrapHeader(key string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("kafkaadapter: dead letter header %s: %w", key, err)
}

// ownHeader returns the value of the optional dlq-* header key of this dead letter: searched
// among the headers from the last dlq-reason on, so that those of an original message that was a
// dead letter itself are not taken for this one's.
func ownHeader(r *kgo.Record, key string) (string, bool) {
	return lastHeader(&kgo.Record{Headers: r.Headers[dlqStart(r.Headers):]}, key)
}

// dlqStart returns where a dead letter's own dlq-* headers start: at its last dlq-reason (the
// original message may be a dead letter itself, redriven to the input, with dlq-* headers of
// its own among the original headers); len(headers) without any.
func dlqStart(headers []kgo.RecordHeader) int {
	for i := len(headers) - 1; i >= 0; i-- {
		if headers[i].Key == HeaderReason {
			return i
		}
	}
	return len(headers)
}

// lastHeader returns the value of the last header named key: the dlq-* headers follow the
// original ones, so they win over an original header of the same name.
func lastHeader(r *kgo.Record, key string) (string, bool) {
	for i := len(r.Headers) - 1; i >= 0; i-- {
		if r.Headers[i].Key == key {
			return string(r.Headers[i].Value), true
		}
	}
	return "", false
}

// decodeWindow decodes an input message into a window, or says why it is a dead letter.
func decodeWindow(value []byte, maxBytes int) (omen.Metrics, Reason, error) {
	if len(value) > maxBytes {
		return omen.Metrics{}, Oversized, fmt.Errorf("message of %d bytes, at most %d accepted", len(value), maxBytes)
	}
	m, err := omen.DecodeMetrics(value)
	if err != nil {
		return omen.Metrics{}, classify(value, err), err
	}
	return m, "", nil
}

// classify finds the reason of a message that omen.DecodeMetrics rejected with err: undecodable
// when err says so (omen.ErrUndecodable), else incomplete or invalid. It reads only the fields
// that tell the last two apart, and only on this error path.
func classify(value []byte, err error) Reason {
	if errors.Is(err, omen.ErrUndecodable) {
		return Undecodable
	}
	var probe struct {
		Service     string `json:"service"`
		Timestamp   string `json:"timestamp"`
		TriggeredAt string `json:"triggered_at"`
		Details     *struct {
			Service   string `json:"service"`
			Timestamp string `json:"timestamp"`
		} `json:"details"`
	}
	if err := json.Unmarshal(value, &probe); err != nil {
		return Undecodable
	}
	service, stamp := probe.Service, probe.Timestamp
	if d := probe.Details; d != nil {
		if service == "" {
			service = d.Service
		}
		stamp = d.Timestamp
		if stamp == "" {
			stamp = probe.TriggeredAt
		}
	}
	if service == "" || stamp == "" {
		return Incomplete
	}
	return Invalid
}

func cloneRecord(r *kgo.Record) *kgo.Record {
	return &kgo.Record{Topic: r.Topic, Key: r.Key, Value: r.Value, Headers: append([]kgo.RecordHeader(nil), r.Headers...)}
}

package kafkaadapter

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stacklens/omen"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestConsumerDeadLetters(t *testing.T) {
	cluster := newCluster(t, 1) // one partition: offsets follow the production order
	ts := t0.Format(time.RFC3339)
	bad := []struct {
		value  []byte
		reason Reason
	}{
		{[]byte(`not json`), Undecodable},
		{[]byte(`[1,2,3]`), Undecodable},
		{nil, Undecodable}, // a tombstone
		{[]byte(`{"service":42,"timestamp":"` + ts + `"}`), Undecodable},
		{[]byte(`{"service":"api","timestamp":"` + ts + `","error_rate":"high"}`), Undecodable},
		{[]byte(`{"timestamp":"` + ts + `","error_rate":1}`), Incomplete},
		{[]byte(`{"service":"api","error_rate":1}`), Incomplete},
		{[]byte(`{"service":"api","details":{"error_rate":1}}`), Incomplete},
		{[]byte(`{"service":"api","timestamp":"` + ts + `","total_requests":-5}`), Invalid},
		{[]byte(`{"service":"api","timestamp":"` + ts + `","latency_p99_ms":1e999}`), Invalid},
		{[]byte(`{"service":"api","timestamp":"` + ts + `","error_rate":250}`), Invalid},
		{[]byte(`{"service":"api","timestamp":"yesterday"}`), Invalid},
		{[]byte(`{"service":"api","timestamp":"` + ts + `","pad":"` + strings.Repeat("x", 600) + `"}`), Oversized},
		{flatMessage("rejected", t0, 1), Unprocessable}, // the Processor rejects it as invalid
		{flatMessage("broken", t0, 1), Unprocessable},   // the Processor fails on every attempt
	}
	var msgs []message
	for i, b := range bad {
		msgs = append(msgs, message{fmt.Sprint("bad-", i), b.value}, message{"api", flatMessage("api", t0.Add(time.Duration(i)*time.Hour), 1)})
	}
	producer := newClient(t, cluster)
	// Headers of the original message are kept, before the dlq-* ones.
	rec := &kgo.Record{Topic: DefaultTopics().Input, Value: []byte("{"), Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("t1")}}}
	if err := producer.ProduceSync(testContext(t), rec).FirstErr(); err != nil {
		t.Fatal(err)
	}
	produce(t, producer, DefaultTopics().Input, msgs...)

	proc := newFakeProcessor()
	proc.fail = func(m omen.Metrics, attempt int) error {
		switch m.Service {
		case "rejected":
			if attempt > 1 {
				t.Errorf("an invalid window was retried")
			}
			return fmt.Errorf("window older than the last: %w", omen.ErrInvalidMetrics)
		case "broken":
			return errors.New("model exploded")
		}
		return nil
	}
	c := consumeAll(t, cluster, proc, newTestSink(), WithMaxMessageBytes(512), WithProcessAttempts(3), WithTopicCreation(1, 1))

	if n := len(proc.processed()); n != len(bad) {
		t.Errorf("processed %d good windows, want %d", n, len(bad))
	}
	letters := readTopic(t, cluster, DefaultTopics().DeadLetter, len(bad)+1)
	first, err := DecodeDeadLetter(letters[0])
	if err != nil || first.Reason != Undecodable || first.Offset != 0 || string(letters[0].Headers[0].Value) != "t1" {
		t.Errorf("first dead letter %+v, %v, headers %v", first, err, letters[0].Headers)
	}
	for i, want := range bad {
		r := letters[i+1]
		d, err := DecodeDeadLetter(r)
		if err != nil {
			t.Errorf("dead letter %d: %v", i, err)
			continue
		}
		if d.Reason != want.reason || d.Topic != DefaultTopics().Input || d.Partition != 0 || d.Offset != int64(1+2*i) ||
			!bytes.Equal(d.Value, want.value) || string(d.Key) != fmt.Sprint("bad-", i) || d.Error == "" || d.Truncated() ||
			!d.Timestamp.Equal(d.Timestamp.UTC()) || d.Timestamp.IsZero() {
			t.Errorf("dead letter %d: %+v, want reason %s, offset %d, value %q", i, d, want.reason, 1+2*i, want.value)
		}
	}
	s := c.Stats()
	wantReasons := map[Reason]int64{Undecodable: 6, Incomplete: 3, Invalid: 4, Oversized: 1, Unprocessable: 2}
	for r, n := range wantReasons {
		if s.DeadLetters[r] != n {
			t.Errorf("stats: %d dead letters %s, want %d", s.DeadLetters[r], r, n)
		}
	}
	if s.Messages != int64(2*len(bad)+1) || s.ProcessRetries != 2 || s.Published[DefaultTopics().DeadLetter] != int64(len(bad)+1) {
		t.Errorf("stats %+v", s)
	}
}

func TestDeadLetterTruncatedWhenTopicRefusesIt(t *testing.T) {
	cluster := newCluster(t, 1)
	admin := newClient(t, cluster)
	limit := "80000"
	if _, err := kadmClient(admin).CreateTopic(testContext(t), 1, 1, map[string]*string{"max.message.bytes": &limit}, DefaultTopics().DeadLetter); err != nil {
		t.Fatal(err)
	}
	// Undecodable, incompressible, and too large for the dead-letter topic.
	huge := make([]byte, 200_000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range huge {
		huge[i] = byte(rng.Uint32())
	}
	produce(t, admin, DefaultTopics().Input, message{"k", huge}, message{"api", flatMessage("api", t0, 1)})

	consumeAll(t, cluster, newFakeProcessor(), newTestSink())
	d, err := DecodeDeadLetter(readTopic(t, cluster, DefaultTopics().DeadLetter, 1)[0])
	if err != nil {
		t.Fatal(err)
	}
	if !d.Truncated() || d.OriginalSize != len(huge) || len(d.Value) != truncatedValueBytes || !bytes.HasPrefix(huge, d.Value) || d.Reason != Undecodable {
		t.Errorf("dead letter of %d bytes, original size %d, reason %s", len(d.Value), d.OriginalSize, d.Reason)
	}
}

func TestDecodeDeadLetterRejectsMalformedHeaders(t *testing.T) {
	src := &kgo.Record{Topic: "in", Partition: 2, Offset: 7, Timestamp: t0, Key: []byte("k"), Value: []byte("v")}
	good := deadLetterRecord("dlq", src, Invalid, errors.New("boom"))
	d, err := DecodeDeadLetter(good)
	if err != nil {
		t.Fatal(err)
	}
	if d.Reason != Invalid || d.Error != "boom" || d.Topic != "in" || d.Partition != 2 || d.Offset != 7 || !d.Timestamp.Equal(t0) {
		t.Errorf("decoded %+v", d)
	}
	for _, tc := range []struct{ key, value string }{
		{HeaderReason, "bored"},
		{HeaderSourcePartition, "x"},
		{HeaderSourceOffset, "9999999999999999999999"},
		{HeaderSourceTimestamp, "noon"},
		{HeaderOriginalSize, "1"},
	} {
		r := cloneRecord(good)
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: tc.key, Value: []byte(tc.value)})
		if _, err := DecodeDeadLetter(r); err == nil {
			t.Errorf("%s = %q accepted", tc.key, tc.value)
		}
	}
	if _, err := DecodeDeadLetter(&kgo.Record{Value: []byte("v")}); err == nil {
		t.Error("a record without headers accepted")
	}
}

func FuzzDecodeWindow(f *testing.F) {
	f.Add(flatMessage("api", t0, 1))
	f.Add(phase4Message("api", t0, 30))
	f.Add([]byte(`{"service":"api","timestamp":"2024-01-15T10:30:00Z","unique_users":-1}`))
	f.Add([]byte(`{"details":null}`))
	f.Add([]byte(`{"service":"","details":{"service":"x"}}`))
	const maxBytes = 300
	f.Fuzz(func(t *testing.T, value []byte) {
		m, reason, err := decodeWindow(value, maxBytes)
		if err == nil {
			if reason != "" || m.Validate() != nil {
				t.Fatalf("accepted %q with reason %q: %+v", value, reason, m)
			}
			return
		}
		if (reason == Oversized) != (len(value) > maxBytes) {
			t.Fatalf("%d bytes classified %s", len(value), reason)
		}
		valid := false
		for _, r := range Reasons {
			valid = valid || (r == reason && r != Unprocessable)
		}
		if !valid {
			t.Fatalf("reason %q for %q", reason, value)
		}
	})
}

func FuzzDecodeDeadLetter(f *testing.F) {
	good := deadLetterRecord("dlq", &kgo.Record{Topic: "in", Offset: 3, Timestamp: t0}, Incomplete, errors.New("no service"))
	f.Add("incomplete", "1", "3", t0.Format(time.RFC3339Nano), "")
	f.Add("oversized", "-1", "x", "", "12")
	f.Fuzz(func(t *testing.T, reason, partition, offset, stamp, size string) {
		r := cloneRecord(good)
		r.Headers = append(r.Headers,
			kgo.RecordHeader{Key: HeaderReason, Value: []byte(reason)},
			kgo.RecordHeader{Key: HeaderSourcePartition, Value: []byte(partition)},
			kgo.RecordHeader{Key: HeaderSourceOffset, Value: []byte(offset)},
			kgo.RecordHeader{Key: HeaderSourceTimestamp, Value: []byte(stamp)})
		if size != "" {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: HeaderOriginalSize, Value: []byte(size)})
		}
		d, err := DecodeDeadLetter(r)
		if err != nil {
			return
		}
		p, perr := strconv.ParseInt(partition, 10, 32)
		if string(d.Reason) != reason || perr != nil || int32(p) != d.Partition {
			t.Fatalf("decoded %+v from reason %q partition %q", d, reason, partition)
		}
		if d.Truncated() && d.OriginalSize <= len(d.Value) {
			t.Fatalf("original size %d for a value of %d bytes", d.OriginalSize, len(d.Value))
		}
	})
}

// TestOversizedDeadLetterPartsAreCut: a dead letter that its topic refuses whole is produced
// with its key, value and original headers cut down, each noted, and the partition moves on. A
// 120 kB key, large headers, or a huge error once left the dead letter too large however its
// value was cut: it was retried for ever and the partition never committed again.
func TestOversizedDeadLetterPartsAreCut(t *testing.T) {
	cluster := newCluster(t, 1)
	admin := newClient(t, cluster)
	limit := "80000"
	if _, err := kadmClient(admin).CreateTopic(testContext(t), 1, 1, map[string]*string{"max.message.bytes": &limit}, DefaultTopics().DeadLetter); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	bigKey := random(120_000)
	recs := []*kgo.Record{
		{Topic: DefaultTopics().Input, Key: bigKey, Value: []byte("not json")},
		{Topic: DefaultTopics().Input, Key: []byte("api"), Value: []byte("not json either"),
			Headers: []kgo.RecordHeader{{Key: "trace", Value: random(70_000)}}},
		// A huge unreadable timestamp: its error quotes it, escaped to twice its size.
		{Topic: DefaultTopics().Input, Key: []byte("api"),
			Value: []byte(`{"service":"api","timestamp":"` + strings.Repeat("\u200b", 23_000) + `"}`)},
		{Topic: DefaultTopics().Input, Key: []byte("api"), Value: flatMessage("api", t0, 1)},
	}
	if err := admin.ProduceSync(testContext(t), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	consumeAll(t, cluster, newFakeProcessor(), newTestSink())
	dls := readTopic(t, cluster, DefaultTopics().DeadLetter, 3)
	var got []DeadLetter
	for _, r := range dls {
		d, err := DecodeDeadLetter(r)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d)
	}
	if d := got[0]; d.OriginalKeySize != len(bigKey) || !bytes.Equal(d.Key, bigKey[:truncatedKeyBytes]) || string(d.Value) != "not json" {
		t.Errorf("huge key: key of %d bytes, original %d", len(d.Key), d.OriginalKeySize)
	}
	if d := got[1]; d.DroppedHeaders != 1 || string(d.Key) != "api" {
		t.Errorf("huge header: %d headers dropped", d.DroppedHeaders)
	}
	if d := got[2]; len(d.Error) > maxErrorBytes || d.Reason != Invalid {
		t.Errorf("huge error: %d bytes, reason %s", len(d.Error), d.Reason)
	}
}

// TestLagWhileStalled: while a poll keeps failing, the lag shows its records; it once kept the
// lag of the last poll that succeeded (none: zero) however much piled up.
func TestLagWhileStalled(t *testing.T) {
	cluster := newCluster(t, 1)
	admin := newClient(t, cluster)
	produce(t, admin, DefaultTopics().Input, windows([]string{"api"}, 3)...)
	proc := newFakeProcessor()
	proc.fail = func(omen.Metrics, int) error { return errors.New("store down") }
	c, err := NewConsumer(cluster.ListenAddrs(), proc, newTestSink(), testOptions(WithShutdownGrace(100*time.Millisecond))...)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, c)
	eventually(t, "the stalled records counted as lag", func() bool {
		lag := c.Stats().Lag
		return len(lag) == 1 && lag[0].Lag == 3
	})
	_ = stop()
}

// TestTruncateRedrivenDeadLetter: a dead letter of a message that was a dead letter itself (its
// dlq-* headers among the original's) is still cut down: the original headers end at the last
// dlq-reason (at the first, a 1.4 MB original dlq-error was taken for this dead letter's own).
func TestTruncateRedrivenDeadLetter(t *testing.T) {
	src := &kgo.Record{Topic: "in", Key: []byte("api"), Value: []byte("x"), Headers: []kgo.RecordHeader{
		{Key: "trace-id", Value: []byte("t")},
		{Key: HeaderReason, Value: []byte(Undecodable)},
		{Key: HeaderError, Value: bytes.Repeat([]byte("e"), 1_400_000)},
	}}
	dl := deadLetterRecord("dlq", src, Invalid, errors.New("bad"))
	cut := truncateDeadLetter(dl)
	if cut == nil {
		t.Fatal("not cut down")
	}
	d, err := DecodeDeadLetter(cut)
	if err != nil {
		t.Fatal(err)
	}
	if d.DroppedHeaders != 3 || d.Reason != Invalid || d.Error != "bad" {
		t.Errorf("%d headers dropped, reason %s, error %q", d.DroppedHeaders, d.Reason, d.Error)
	}
}

// TestRedrivenDeadLetterOwnHeaders: the optional dlq-* headers of a redriven dead letter's
// original are not read as this dead letter's own (it once reported the earlier cut).
func TestRedrivenDeadLetterOwnHeaders(t *testing.T) {
	src := &kgo.Record{Topic: "in", Key: []byte("api"), Value: []byte("x"), Headers: []kgo.RecordHeader{
		{Key: HeaderReason, Value: []byte(Undecodable)},
		{Key: HeaderOriginalSize, Value: []byte("999999")},
	}}
	d, err := DecodeDeadLetter(deadLetterRecord("dlq", src, Invalid, errors.New("bad")))
	if err != nil {
		t.Fatal(err)
	}
	if d.Truncated() || d.OriginalSize != 0 || d.Reason != Invalid {
		t.Errorf("decoded %+v", d)
	}
}

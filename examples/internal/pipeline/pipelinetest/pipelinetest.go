// Package pipelinetest holds the test fixtures of the services built on package pipeline: an
// in-process Kafka cluster (kfake), a PostgreSQL schema of one's own, a generated stream of
// analytics messages, and readers of topics, committed offsets and HTTP endpoints.
//
// PostgreSQL comes from OMEN_TEST_POSTGRES (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable). When it is unreachable a test is
// skipped, or fails when the CI variable is set.
package pipelinetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/internal/servicegen"
)

// Timeout bounds every wait of a fixture; the tests finish far sooner.
const Timeout = 60 * time.Second

// DefaultPostgres is the test database when OMEN_TEST_POSTGRES is unset.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Context returns a context that ends with the test or after Timeout.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	t.Cleanup(cancel)
	return ctx
}

// Cluster starts an in-process Kafka broker whose topic input has partitions partitions; it is
// closed with the test.
func Cluster(t testing.TB, input string, partitions int32) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, input))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// Client returns a client of the cluster, closed with the test.
func Client(t testing.TB, c *kfake.Cluster, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// Postgres returns the DSN of a fresh schema of the test database (its search_path), and a
// pool on it; the schema is dropped at the end of the test. The schema is empty: the services
// migrate it.
func Postgres(t testing.TB) (string, *pgxpool.Pool) {
	t.Helper()
	base := os.Getenv("OMEN_TEST_POSTGRES")
	if base == "" {
		base = DefaultPostgres
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL at %s is unreachable (%v); set OMEN_TEST_POSTGRES to a reachable database", base, err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	schema := fmt.Sprintf("omen_pipeline_%d_%016x", os.Getpid(), rand.Uint64())
	_, err = admin.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	admin.Close(ctx)
	if err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	dsn, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return dsn, pool
}

// withSearchPath adds search_path=schema to a URL or key=value connection string.
func withSearchPath(dsn, schema string) (string, error) {
	u, err := url.Parse(dsn)
	if err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " search_path=" + schema, nil
}

// Message is one analytics message of a generated stream.
type Message struct {
	Key, Value []byte
	Metrics    omen.Metrics // as omen.DecodeMetrics reads Value
}

// Stream generates the stream of cfg as analytics messages in both accepted shapes
// (servicegen.Mixed), keyed by service, in stream order.
func Stream(t testing.TB, cfg servicegen.Config) []Message {
	t.Helper()
	s, err := servicegen.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return messages(t, s)
}

// StreamEndingAt is Stream with the stream moved by whole hours so that its last window starts
// in the hour of end: what the stream holds does not depend on when a test runs (the
// generator's daily and weekly shapes follow cfg.Start), only its timestamps do.
func StreamEndingAt(t testing.TB, cfg servicegen.Config, end time.Time) []Message {
	t.Helper()
	s, err := servicegen.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Windows) == 0 {
		t.Fatal("the stream has no window")
	}
	shift := end.Truncate(time.Hour).Sub(s.Windows[len(s.Windows)-1].Time.Truncate(time.Hour))
	for i := range s.Windows {
		s.Windows[i].Time = s.Windows[i].Time.Add(shift)
	}
	return messages(t, s)
}

// messages encodes the windows of s as analytics messages in both shapes.
func messages(t testing.TB, s servicegen.Stream) []Message {
	t.Helper()
	var buf bytes.Buffer
	if err := servicegen.WriteJSONLines(&buf, s, servicegen.Mixed); err != nil {
		t.Fatal(err)
	}
	var out []Message
	for line := range bytes.Lines(buf.Bytes()) {
		line = bytes.TrimSpace(line)
		m, err := omen.DecodeMetrics(line)
		if err != nil {
			t.Fatalf("generated message %s: %v", line, err)
		}
		out = append(out, Message{Key: []byte(m.Service), Value: bytes.Clone(line), Metrics: m})
	}
	return out
}

// Produce writes msgs to topic, in order.
func Produce(t testing.TB, c *kfake.Cluster, topic string, msgs []Message) {
	t.Helper()
	recs := make([]*kgo.Record, len(msgs))
	for i, m := range msgs {
		recs[i] = &kgo.Record{Topic: topic, Key: m.Key, Value: m.Value}
	}
	if err := Client(t, c).ProduceSync(Context(t), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// ReadTopic returns every record of topic, reading up to its end offsets at the time of the
// call.
func ReadTopic(t testing.TB, c *kfake.Cluster, topic string) []*kgo.Record {
	t.Helper()
	ends := EndOffsets(t, c, topic)
	var want int64
	for _, o := range ends {
		want += o
	}
	if want == 0 {
		return nil
	}
	cl := Client(t, c, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx := Context(t)
	var out []*kgo.Record
	for int64(len(out)) < want {
		f := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("%s: read %d of %d records: %v", topic, len(out), want, err)
		}
		out = append(out, f.Records()...)
	}
	return out
}

func withAdmin(t testing.TB, c *kfake.Cluster, fn func(context.Context, *kadm.Client) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := fn(ctx, kadm.NewClient(cl)); err != nil {
		t.Fatal(err)
	}
}

// EndOffsets returns the end offsets of topic by partition, empty partitions left out.
func EndOffsets(t testing.TB, c *kfake.Cluster, topic string) map[int32]int64 {
	t.Helper()
	out := map[int32]int64{}
	withAdmin(t, c, func(ctx context.Context, adm *kadm.Client) error {
		ends, err := adm.ListEndOffsets(ctx, topic)
		if err != nil {
			return err
		}
		ends.Each(func(o kadm.ListedOffset) {
			if o.Err == nil && o.Offset > 0 {
				out[o.Partition] = o.Offset
			}
		})
		return nil
	})
	return out
}

// Committed returns the offsets of topic committed by group, by partition.
func Committed(t testing.TB, c *kfake.Cluster, group, topic string) map[int32]int64 {
	t.Helper()
	out := map[int32]int64{}
	withAdmin(t, c, func(ctx context.Context, adm *kadm.Client) error {
		offs, err := adm.FetchOffsets(ctx, group)
		if errors.Is(err, kerr.GroupIDNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		offs.Each(func(o kadm.OffsetResponse) {
			if o.Topic == topic && o.Err == nil && o.At >= 0 {
				out[o.Partition] = o.At
			}
		})
		return nil
	})
	return out
}

// FullyCommitted reports whether group has committed every record of topic.
func FullyCommitted(t testing.TB, c *kfake.Cluster, group, topic string) bool {
	t.Helper()
	ends, got := EndOffsets(t, c, topic), Committed(t, c, group, topic)
	for p, end := range ends {
		if got[p] != end {
			return false
		}
	}
	return true
}

// Eventually polls cond until it holds, failing the test after Timeout.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Balanced reports whether group is stable with members members that each own partitions.
func Balanced(t testing.TB, c *kfake.Cluster, group string, members int) bool {
	t.Helper()
	ok := false
	withAdmin(t, c, func(ctx context.Context, adm *kadm.Client) error {
		groups, err := adm.DescribeGroups(ctx, group)
		if err != nil {
			return nil // not yet
		}
		g := groups[group]
		if g.State != "Stable" || len(g.Members) != members {
			return nil
		}
		for _, m := range g.Members {
			a, isConsumer := m.Assigned.AsConsumer()
			if !isConsumer || len(a.Topics) == 0 || len(a.Topics[0].Partitions) == 0 {
				return nil
			}
		}
		ok = true
		return nil
	})
	return ok
}

// Get returns the status and body of an HTTP GET of url.
func Get(t testing.TB, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(Context(t), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// Count returns the result of a SELECT COUNT(*) query.
func Count(t testing.TB, pool *pgxpool.Pool, query string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(Context(t), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// IDs returns the values of the string column of query's rows.
func IDs(t testing.TB, pool *pgxpool.Pool, query string, args ...any) []string {
	t.Helper()
	rows, err := pool.Query(Context(t), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// Metric returns the value of the sample named name (with its labels) in a Prometheus text
// exposition, failing the test when it is absent.
func Metric(t testing.TB, exposition, name string) float64 {
	t.Helper()
	for line := range strings.Lines(exposition) {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			var v float64
			if _, err := fmt.Sscan(rest, &v); err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return v
		}
	}
	t.Fatalf("metric %s absent from:\n%s", name, exposition)
	return 0
}

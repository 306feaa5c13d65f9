package pgadapter

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stacklens/omen"
)

// cutProxy forwards TCP connections to PostgreSQL until it is cut: then it closes every open
// connection and refuses new ones, until it is restored.
type cutProxy struct {
	target   string
	listener net.Listener

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]bool
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{target: target, listener: l, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() {
		l.Close()
		p.setCut(true)
	})
	return p
}

func (p *cutProxy) serve() {
	for {
		client, err := p.listener.Accept()
		if err != nil {
			return
		}
		go p.forward(client)
	}
}

func (p *cutProxy) forward(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	p.conns[client], p.conns[server] = true, true
	p.mu.Unlock()
	go func() { io.Copy(server, client); server.Close() }()
	io.Copy(client, server)
	client.Close()
}

func (p *cutProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

// TestWriteAcrossOutage cuts the connection to PostgreSQL between writes: writes fail with an
// error while it is down, and after it comes back the same Store writes again, and rewriting the
// failed results leaves every record exactly once.
func TestWriteAcrossOutage(t *testing.T) {
	t.Parallel()
	cfg, err := pgxpool.ParseConfig(testDSN())
	if err != nil {
		t.Fatal(err)
	}
	target := net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port)))
	adminConn(t).Close(context.Background()) // skip or fail early when PostgreSQL is unreachable
	proxy := startCutProxy(t, target)
	proxyHost, proxyPort, _ := net.SplitHostPort(proxy.listener.Addr().String())
	port, _ := strconv.Atoi(proxyPort)
	store, pool := newTestStore(t, func(c *pgxpool.Config) {
		c.ConnConfig.Host, c.ConnConfig.Port = proxyHost, uint16(port)
		c.ConnConfig.ConnectTimeout = 2 * time.Second
		c.ConnConfig.Fallbacks = nil
		c.MaxConns = 2
	})
	ctx := context.Background()
	now := testNow()
	batch := func(h int) omen.Results { return testResults(now.Add(time.Duration(h) * time.Hour)) }

	if err := store.Write(ctx, batch(0)); err != nil {
		t.Fatalf("Write before the outage: %v", err)
	}
	proxy.setCut(true)
	var failed []omen.Results
	for h := 1; h <= 3; h++ {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := store.Write(wctx, batch(h))
		cancel()
		if err == nil {
			t.Fatalf("Write %d during the outage succeeded", h)
		}
		if errors.Is(err, ErrInvalidRecord) {
			t.Fatalf("Write %d during the outage: %v, want a connection error", h, err)
		}
		failed = append(failed, batch(h))
	}
	proxy.setCut(false)
	// Redeliver what failed, as a consumer that did not commit its offsets does. The first
	// attempt may meet a connection the pool has not yet found broken.
	for i, r := range failed {
		var err error
		for range 3 {
			if err = store.Write(ctx, r); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("Write %d after the outage: %v", i+1, err)
		}
	}
	if err := store.Write(ctx, batch(0)); err != nil { // a duplicate delivery changes nothing
		t.Fatal(err)
	}
	// Every record of the four batches, once (batches share some forecast keys).
	ids := map[string]map[string]bool{"ml_anomalies": {}, "ml_predictive_alerts": {}, "ml_forecasts": {}, "ml_patterns": {}}
	for h := range 4 {
		r := batch(h)
		for _, a := range r.Anomalies {
			ids["ml_anomalies"][a.ID] = true
		}
		for _, a := range r.Alerts {
			ids["ml_predictive_alerts"][a.ID] = true
		}
		for _, f := range r.Forecasts {
			ids["ml_forecasts"][f.ID] = true
		}
		for _, p := range r.Patterns {
			ids["ml_patterns"][p.ID] = true
		}
	}
	for table, want := range ids {
		if n := count(t, pool, "SELECT COUNT(*) FROM "+table); n != int64(len(want)) {
			t.Errorf("%s has %d rows after the outage, want %d", table, n, len(want))
		}
	}
	if n := pool.Stat().AcquiredConns(); n != 0 {
		t.Errorf("%d connections still acquired", n)
	}
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver "sqlite": the binary stays cgo-free
)

// OpenSQLite opens (creating and migrating) the SQLite store at path, in WAL
// mode. Writes go through one connection, since SQLite has one writer anyway
// and this way they queue in Go rather than spin on SQLITE_BUSY; reads use a
// separate pool that WAL lets run beside the writer.
func OpenSQLite(ctx context.Context, path string) (Store, error) {
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
	base := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas
	// _txlock=immediate takes the write lock at BEGIN, so a transaction never
	// fails half-way on upgrading a read lock. The writer's page cache is
	// 512 KiB, not SQLite's 2 MB: it appends, so what it rereads is the
	// last pages and inner nodes of each tree, and the default filled up
	// with pages written once (2 MB of the gateway's resident memory, for
	// no CPU measured back, with 1 key or 1,000: BenchmarkWriterSQLite).
	w, err := sql.Open("sqlite", base+"&_txlock=immediate&_pragma=cache_size(-512)")
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := migrate(ctx, w, "sqlite", ""); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	// A 32 MiB page cache per reader keeps a month of rollups in memory.
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)&_pragma=cache_size(-32768)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	// Each reader's page cache grows to 32 MiB of the process's memory and
	// stays while the connection lives: a reader idle for a minute (no
	// dashboard open, no report) is closed, and its cache returned.
	r.SetConnMaxIdleTime(time.Minute)
	s := &sqlStore{d: dialect{name: "sqlite", maxParams: 32766, chunkRows: 64}, w: w, r: r}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	return s, nil
}

package store

import (
	"context"
	"time"

	"modernc.org/sqlite"
)

// Pacing the writer. SQLite here is Go code (modernc), so a batch written
// as one stretch holds its P for as long as the batch takes: at 500 req/s
// a 200 ms batch is 5–10 ms of CPU. With one P (GOMAXPROCS=1, as a
// gateway pinned to one core runs) nothing else runs meanwhile: the
// scheduler preempts a goroutine only after 10 ms, and one that yields with
// runtime.Gosched is picked again from the run queue before the network
// poller is asked, so every request that arrives during the batch waits for
// its end. That was the gateway's whole added p99 (a goroutine waking every
// 0.5 ms saw 7–12 ms gaps, one per batch). A paced writer sleeps once it
// has run for its slice; a timer sleep makes the scheduler poll the
// network and run the requests waiting on it.
//
// The slice is checked before every row SQLite writes, from its pre-update
// hook, so a paced writer keeps its statements whole (chunkRows rows).
// Checked only between statements, as it first was, a slice lasted as
// long as a statement, and the statements had to be cut to 8 rows, which
// cost a paced batch 15–30% more CPU per event than an unpaced one.

// Pace returns ctx asking the write transactions run under it (ApplyPost,
// Apply, Post) to pause for pause after each slice of work. The caller
// decides when it is worth it: with one P and the request path to share it
// with, not when catching up on a backlog (a pause on an idle P lasts the
// network poller's 1 ms minimum, not pause).
func Pace(ctx context.Context, slice, pause time.Duration) context.Context {
	return context.WithValue(ctx, pacerKey{}, &pacer{slice: slice, pause: pause})
}

type pacerKey struct{}

func pacerOf(ctx context.Context) *pacer { p, _ := ctx.Value(pacerKey{}).(*pacer); return p }

type pacer struct {
	slice, pause time.Duration
	since        time.Time // the current slice's start; zero before the first statement
	pauses       int
}

// pace is called before each write statement.
func pace(ctx context.Context) { pacerOf(ctx).tick() }

// tick starts the slice at the first call, and sleeps once it is used up.
// A nil pacer never sleeps.
func (p *pacer) tick() {
	if p == nil {
		return
	}
	now := time.Now()
	switch {
	case p.since.IsZero():
		p.since = now
	case now.Sub(p.since) >= p.slice:
		time.Sleep(p.pause)
		p.since = time.Now()
		p.pauses++
	}
}

// preUpdateHooker is the SQLite driver's connection (modernc), which can
// call a function before each row a statement writes.
type preUpdateHooker interface {
	RegisterPreUpdateHook(sqlite.PreUpdateHookFn)
}

// paceRows makes the driver connection dc tick p before every row it
// writes, until the returned function is called. Where the driver cannot
// (not SQLite), pace's check between statements is all there is.
func paceRows(dc any, p *pacer) (stop func()) {
	h, ok := dc.(preUpdateHooker)
	if !ok || p == nil {
		return func() {}
	}
	h.RegisterPreUpdateHook(func(sqlite.SQLitePreUpdateData) { p.tick() })
	return func() { h.RegisterPreUpdateHook(nil) }
}

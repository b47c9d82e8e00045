package store

import (
	"context"
	"time"
)

// Pacing the writer. SQLite here is Go code (modernc), so a batch written
// as one stretch holds its P for as long as the batch takes: at 500 req/s
// a 200 ms batch is 5–10 ms of CPU. With one P (GOMAXPROCS=1, as a
// gateway pinned to one core runs) nothing else runs meanwhile: the
// scheduler preempts a goroutine only after 10 ms, and one that yields with
// runtime.Gosched is picked again from the run queue before the network
// poller is asked, so every request that arrives during the batch waits for
// its end. That was the gateway's whole added p99 (a goroutine waking every
// 0.5 ms saw 7–12 ms gaps, one per batch). A paced writer sleeps between
// statements once it has run for its slice; a timer sleep makes the
// scheduler poll the network and run the requests waiting on it, so a
// request waits for at most one statement and a slice. A paced writer's
// statements carry at most pacedRows rows (a fraction of a millisecond);
// unpaced, 64 (chunkRows), which applies a backlog about a fifth faster.

// Pace returns ctx asking the write transactions run under it (ApplyPost,
// Apply, Post) to pause for pause after each slice of work. The caller
// decides when it is worth it: with one P and the request path to share it
// with, not when catching up on a backlog (a pause on an idle P lasts the
// network poller's 1 ms minimum, not pause).
func Pace(ctx context.Context, slice, pause time.Duration) context.Context {
	return context.WithValue(ctx, pacerKey{}, &pacer{slice: slice, pause: pause})
}

type pacerKey struct{}

// pacedRows caps the rows of a paced writer's statements. A power of two
// not above chunkRows, so its statements are among those prepared.
const pacedRows = 8

func paced(ctx context.Context) bool { return ctx.Value(pacerKey{}) != nil }

type pacer struct {
	slice, pause time.Duration
	since        time.Time // the current slice's start; zero before the first statement
	pauses       int
}

// pace is called before each write statement: it starts the slice at the
// first, and sleeps once the slice is used up.
func pace(ctx context.Context) {
	p, _ := ctx.Value(pacerKey{}).(*pacer)
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

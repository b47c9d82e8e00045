package journal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/switchyard/switchyard/internal/usage"
)

// Apply writes a batch of events to the store. It must be idempotent by
// event id: after a crash between applying and checkpointing, the same
// events come again (at-least-once). It must not keep the slice, which Run
// reuses.
type Apply func(ctx context.Context, events []usage.Event) error

// Defaults for Run's batch and every when given as 0.
const (
	DefaultBatch = 1000
	DefaultEvery = time.Second
)

// How long Run keeps retrying a failing apply between attempts, and how
// long the final drain may take once ctx is done.
const (
	firstBackoff = 100 * time.Millisecond
	maxBackoff   = 30 * time.Second
	drainTimeout = 10 * time.Second
)

// Run applies the journal to the store from the last checkpoint, first the
// tail left unapplied by the previous run, then new events as they are
// appended: in batches of up to batch events, or whatever has arrived every
// `every`. After each batch it records the checkpoint durably and deletes
// segments that are wholly applied.
//
// When apply fails (the store is down) nothing is lost: the batch is
// retried with backoff, the checkpoint stays, and the journal keeps growing
// on disk meanwhile. Run returns when ctx is done, after a final drain of
// what was appended so far; an error then means some events stay journaled
// for the next start.
func (j *Journal) Run(ctx context.Context, apply Apply, batch int, every time.Duration) error {
	if batch <= 0 {
		batch = DefaultBatch
	}
	if every <= 0 {
		every = DefaultEvery
	}
	if !j.running.CompareAndSwap(false, true) {
		return errors.New("journal: Run is already running")
	}
	defer j.running.Store(false)

	c := &cursor{j: j, seg: j.start.Segment, seq: j.start.Seq, every: j.opt.CheckpointEvery, saved: time.Now()}
	c.r.off = j.start.Offset
	defer func() {
		c.close()
		// A later Run resumes here rather than at the checkpoint Open found.
		if c.done.Seq != 0 {
			j.start = c.done
		}
	}()

	events := make([]usage.Event, 0, batch)
	var since time.Time // when the oldest event in events was read
	timer := time.NewTimer(every)
	timer.Stop()
	saveTimer := time.NewTimer(c.every)
	saveTimer.Stop()
	for {
		var err error
		events, err = c.read(events, batch)
		if err != nil {
			// An I/O error reading our own files: say so, and try again shortly.
			j.log.Error("journal: read failed; retrying", "err", err)
			if sleep(ctx, time.Second) != nil {
				return j.drain(ctx, c, events, apply, batch)
			}
			continue
		}
		if len(events) > 0 && since.IsZero() {
			since = time.Now()
		}
		if len(events) >= batch || (len(events) > 0 && time.Since(since) >= every) {
			if err := j.flush(ctx, c, events, apply); err != nil {
				return j.drain(ctx, c, events, apply, batch)
			}
			events, since = events[:0], time.Time{}
			continue
		}
		// Caught up: make what was applied durable before going idle, but
		// no more often than c.every: under steady traffic Run catches up
		// after every batch, and a checkpoint per batch would cost more
		// than the batch's own writes.
		var save <-chan time.Time
		if c.pending {
			if wait := c.every - time.Since(c.saved); wait <= 0 {
				j.checkpoint(c)
			} else {
				saveTimer.Reset(wait)
				save = saveTimer.C
			}
		}
		var wake <-chan time.Time
		if len(events) > 0 {
			timer.Reset(every - time.Since(since))
			wake = timer.C
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				saveTimer.Stop()
				return j.drain(ctx, c, events, apply, batch)
			case <-save:
				// Still idle: save the checkpoint now, and keep waiting.
				j.checkpoint(c)
				save = nil
				continue
			case <-j.notify:
				// With a batch started, wake for a full one or the timer,
				// not for every append: reading one record per wake-up
				// costs a syscall each.
				if len(events) > 0 && j.next.Load()-c.seq < int64(batch-len(events)) {
					continue
				}
			case <-wake:
			}
			break wait
		}
		timer.Stop()
		saveTimer.Stop()
	}
}

// flush applies one batch, retrying until it succeeds or ctx is done, then
// checkpoints. It returns an error only when ctx ended first; the batch is
// then still unapplied.
func (j *Journal) flush(ctx context.Context, c *cursor, events []usage.Event, apply Apply) error {
	backoff := firstBackoff
	for attempt := 1; ; attempt++ {
		err := apply(ctx, events)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		j.log.Warn("journal: applying to the store failed; events stay in the journal and are retried",
			"err", err, "attempt", attempt, "batch", len(events), "lag", j.Lag(), "retry_in", backoff)
		if err := sleep(ctx, backoff); err != nil {
			return err
		}
		backoff = min(backoff*2, maxBackoff)
	}
	c.applied()
	if time.Since(c.saved) >= c.every {
		j.checkpoint(c)
	}
	return nil
}

// drain applies what is left once ctx is done, with one attempt per batch
// under a deadline of its own (ctx is already over).
func (j *Journal) drain(ctx context.Context, c *cursor, events []usage.Event, apply Apply, batch int) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drainTimeout)
	defer cancel()
	for {
		var err error
		events, err = c.read(events, batch)
		if err != nil {
			return fmt.Errorf("journal: final drain: %w (%d events stay journaled)", err, j.Lag())
		}
		if len(events) == 0 {
			j.checkpoint(c)
			return nil
		}
		if err := apply(dctx, events); err != nil {
			j.checkpoint(c) // whatever did get applied
			return fmt.Errorf("journal: final drain: %w (%d events stay journaled for the next start)", err, j.Lag())
		}
		c.applied()
		events = events[:0]
	}
}

// checkpoint records durably that everything before the cursor is applied,
// then deletes the segments wholly behind it. It runs at most once per
// Options.CheckpointEvery, whether a backlog is applied or Run keeps
// catching up with live traffic, and once more when Run goes idle or stops:
// each one costs two fsyncs, which would otherwise dominate replaying a long
// tail or, at a few hundred requests a second, the writer's own work.
func (j *Journal) checkpoint(c *cursor) {
	if !c.pending {
		return
	}
	c.pending, c.saved = false, time.Now()
	cp := c.done
	if err := writeCheckpoint(j.opt.Dir, cp); err != nil {
		// The events are applied; without the checkpoint a restart applies
		// them again, which the store absorbs by event id.
		j.log.Error("journal: checkpoint failed; a restart will re-apply events", "err", err)
	} else {
		j.saves.Add(1)
	}

	j.mu.Lock()
	var old []int64
	for len(j.segs) > 1 && j.segs[0].first < cp.Segment {
		old = append(old, j.segs[0].first)
		j.segs = j.segs[1:]
	}
	j.mu.Unlock()
	for _, first := range old {
		if err := os.Remove(segmentPath(j.opt.Dir, first)); err != nil {
			j.log.Error("journal: removing an applied segment failed", "err", err)
		}
	}
}

// segmentAt reports the segment that holds records from first on: its
// readable size, whether it is sealed (no more records will be added), and
// the segment after it. ok is false if no segment starts at or after first.
func (j *Journal) segmentAt(first int64) (s segment, sealed bool, next int64, ok bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for i, seg := range j.segs {
		if seg.first < first {
			continue
		}
		sealed = i < len(j.segs)-1
		if sealed {
			next = j.segs[i+1].first
		}
		return seg, sealed, next, true
	}
	return segment{}, false, 0, false
}

// seal makes the segment starting at first no longer active, so a reader
// stuck on damage in it can move on. Appends continue in a new segment.
func (j *Journal) seal(first int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed || j.broken != nil || j.segs[len(j.segs)-1].first != first {
		return
	}
	if err := j.roll(); err != nil {
		j.log.Error("journal: could not seal a damaged segment", "err", err)
	}
}

// cursor is Run's position: the next record to apply.
type cursor struct {
	j *Journal

	done    checkpoint    // just past the last event applied
	pending bool          // done is ahead of the saved checkpoint
	saved   time.Time     // when the checkpoint was last saved
	every   time.Duration // how often to save it during a backlog

	seg int64 // first sequence number of the segment being read
	seq int64 // sequence number of the next record
	f   *os.File
	r   frameReader
}

// read appends decoded events to events until it holds max or nothing
// more has been written.
func (c *cursor) read(events []usage.Event, max int) ([]usage.Event, error) {
	for len(events) < max {
		s, sealed, next, ok := c.j.segmentAt(c.seg)
		if !ok {
			return events, nil
		}
		if s.first != c.seg {
			// Our segment is gone (its records were lost); resume at the next.
			c.moveTo(s.first)
			continue
		}
		if c.r.off >= s.size {
			if !sealed {
				return events, nil
			}
			c.moveTo(next)
			continue
		}
		if c.f == nil {
			f, err := os.Open(segmentPath(c.j.opt.Dir, c.seg))
			if err != nil {
				return events, fmt.Errorf("journal: %w", err)
			}
			c.f = f
			c.r.reset(f, c.r.off)
		}
		payload, err := c.r.next(s.size)
		if errors.Is(err, errCorrupt) {
			c.j.log.Error("journal: corrupt record; skipping the rest of the segment",
				"segment", c.f.Name(), "err", err)
			c.r.off = s.size
			if !sealed {
				c.j.seal(c.seg)
			}
			continue
		}
		if err == io.EOF {
			continue
		}
		if err != nil {
			return events, err
		}
		events = events[:len(events)+1]
		if err := events[len(events)-1].UnmarshalBinary(payload); err != nil {
			// Checksummed but undecodable: written by a newer binary, or a
			// bug. Skipping one record beats stalling the whole journal.
			c.j.log.Error("journal: undecodable record skipped", "segment", c.f.Name(), "seq", c.seq, "err", err)
			events = events[:len(events)-1]
		}
		c.seq++
	}
	return events, nil
}

// applied notes that every event read so far has been applied: the batch
// always holds everything read since the previous one.
func (c *cursor) applied() {
	c.done = checkpoint{Seq: c.seq, Segment: c.seg, Offset: c.r.off}
	c.pending = true
	c.j.applied.Store(c.seq)
}

func (c *cursor) moveTo(first int64) {
	c.close()
	c.seg, c.seq = first, first
	c.r.reset(nil, 0)
}

func (c *cursor) close() {
	if c.f != nil {
		c.f.Close()
		c.f = nil
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

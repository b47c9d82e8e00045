// Package journal is the gateway's append-only local log of usage events: written before a response ends, applied to the store in the background.
package journal

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/internal/usage"
)

// Defaults for the zero Options fields.
const (
	DefaultSyncEvery       = 100 * time.Millisecond
	DefaultSegmentBytes    = 64 << 20
	DefaultCheckpointEvery = time.Second
)

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("journal: closed")

// Options configures Open.
type Options struct {
	Dir          string        // the journal's own directory (data_dir/journal); created if missing
	Sync         Sync          // when records are fsynced; the zero value is SyncInterval
	SyncEvery    time.Duration // period of SyncInterval; DefaultSyncEvery when 0
	SegmentBytes int64         // roll to a new segment file past this size; DefaultSegmentBytes when 0
	// CheckpointEvery is the most often Run records how far it has applied;
	// DefaultCheckpointEvery when 0. Each checkpoint costs two fsyncs and a
	// rename, so under steady traffic (Run catching up after every batch)
	// it is paced; a crash re-applies at most this much, which the store
	// absorbs by event id.
	CheckpointEvery time.Duration
	Log             *slog.Logger // slog.Default() when nil
}

// Journal is an append-only log of usage events in a directory of segment
// files, plus a checkpoint saying how far they have been applied to the
// store. Append is safe for concurrent use; Run is called once.
type Journal struct {
	opt  Options
	log  *slog.Logger
	lock *os.File // held open for the directory lock

	mu     sync.Mutex
	f      *os.File  // the active (last) segment, written with pwrite at its size
	segs   []segment // oldest first; the last is the active one
	buf    []byte    // the record being written, reused so Append allocates nothing
	dirty  bool      // written since the last fsync
	closed bool
	broken error // a failure after which appending could corrupt the log

	next    atomic.Int64 // sequence number the next Append gets
	applied atomic.Int64 // every record before this one is applied
	start   checkpoint   // where Run begins: the checkpoint as found by Open
	saves   atomic.Int64 // checkpoints written by Run, for tests
	running atomic.Bool

	notify   chan struct{} // poked by Append so Run wakes without polling
	stopSync chan struct{}
	syncDone chan struct{}
}

// Open opens or creates the journal in o.Dir. It checks every segment's
// records; a torn or corrupt tail of the last segment (a write cut short by
// a crash) is logged and truncated away, so later appends follow the last
// whole record.
func Open(o Options) (*Journal, error) {
	if o.Dir == "" {
		return nil, errors.New("journal: no directory")
	}
	if o.SyncEvery <= 0 {
		o.SyncEvery = DefaultSyncEvery
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = DefaultCheckpointEvery
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	var err error
	j := &Journal{
		opt: o, log: o.Log,
		buf:      make([]byte, 0, 512),
		notify:   make(chan struct{}, 1),
		stopSync: make(chan struct{}),
		syncDone: make(chan struct{}),
	}
	if j.lock, err = lockDir(o.Dir); err != nil {
		return nil, err
	}
	cp, err := readCheckpoint(o.Dir)
	if err != nil {
		// Starting over from the oldest segment re-applies events, which the
		// store deduplicates by id; refusing to start would lose new ones.
		j.log.Error("journal: unreadable checkpoint; replaying every segment", "err", err)
		cp = checkpoint{}
	}
	if err := j.load(cp); err != nil {
		if j.f != nil {
			j.f.Close()
		}
		j.lock.Close()
		return nil, err
	}
	if o.Sync == SyncInterval {
		go j.syncLoop()
	} else {
		close(j.syncDone)
	}
	return j, nil
}

// load scans the segments, repairs the tail, opens the active segment and
// sets where Run starts.
func (j *Journal) load(cp checkpoint) error {
	dir := j.opt.Dir
	firsts, err := listSegments(dir)
	if err != nil {
		return err
	}
	var lastRecords int64
	for i, first := range firsts {
		path := segmentPath(dir, first)
		if first < cp.Segment {
			// Wholly applied: Run deletes these, and a crash may have left one.
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("journal: remove applied segment: %w", err)
			}
			continue
		}
		res, err := scanSegment(path)
		if err != nil {
			return err
		}
		if res.validEnd < res.fileSize {
			if i == len(firsts)-1 {
				j.log.Warn("journal: torn or corrupt tail of the last segment truncated; it was never acknowledged",
					"segment", path, "offset", res.validEnd, "dropped_bytes", res.fileSize-res.validEnd, "cause", res.cause)
				if err := truncateFile(path, res.validEnd); err != nil {
					return err
				}
			} else {
				// A sealed segment was whole when it was closed, so this is
				// damage (or a power loss under sync: none). Keep the file for
				// inspection; the reader stops at the damage and moves on.
				j.log.Error("journal: corrupt record in a sealed segment; the records after it are skipped",
					"segment", path, "offset", res.validEnd, "skipped_bytes", res.fileSize-res.validEnd, "cause", res.cause)
			}
		}
		j.segs = append(j.segs, segment{first: first, size: res.validEnd})
		lastRecords = res.records
	}

	next := max(cp.Seq, 1)
	if n := len(j.segs); n > 0 {
		next = max(next, j.segs[n-1].first+lastRecords)
	}
	// Where Run starts: at the checkpoint if its segment is still here,
	// else at the oldest segment left.
	j.start = checkpoint{Seq: next, Segment: next}
	found := false
	for _, s := range j.segs {
		if s.first == cp.Segment && cp.Offset <= s.size {
			j.start, found = cp, true
			break
		}
		if s.first > cp.Segment {
			j.start, found = checkpoint{Seq: s.first, Segment: s.first}, true
			break
		}
	}
	// A checkpoint past the data means the tail it covered was lost (a power
	// loss under sync: none). New records must not reuse those positions, or
	// the reader would skip them: start a fresh segment after the checkpoint.
	needNew := !found
	if n := len(j.segs); n > 0 && !found {
		if last := j.segs[n-1]; last.first == cp.Segment && cp.Offset > last.size {
			j.log.Warn("journal: checkpoint is past the end of the journal; records after the last whole one were lost before this start",
				"segment", segmentPath(dir, last.first), "checkpoint_offset", cp.Offset, "size", last.size)
		}
	}
	if needNew {
		if n := len(j.segs); n > 0 && j.segs[n-1].first >= next {
			return fmt.Errorf("journal: segment %s is ahead of sequence %d", segmentName(j.segs[n-1].first), next)
		}
		if err := j.createSegment(next); err != nil {
			return err
		}
	} else {
		last := j.segs[len(j.segs)-1]
		f, err := os.OpenFile(segmentPath(dir, last.first), os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		j.f = f
	}
	j.next.Store(next)
	j.applied.Store(j.start.Seq)
	return nil
}

func truncateFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("journal: truncate: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("journal: truncate %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("journal: truncate %s: %w", path, err)
	}
	return nil
}

// createSegment makes first the active segment. Called with j.mu held (or
// before the journal is shared).
func (j *Journal) createSegment(first int64) error {
	path := segmentPath(j.opt.Dir, first)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("journal: new segment: %w", err)
	}
	if j.opt.Sync != SyncNone {
		if err := syncDir(j.opt.Dir); err != nil {
			f.Close()
			return err
		}
	}
	j.f = f
	j.segs = append(j.segs, segment{first: first})
	return nil
}

// Append writes the event to the journal before returning: once it returns
// nil, the record is in the operating system's page cache and survives the
// process being killed (kill -9). Whether it survives a power loss depends
// on the Sync policy. An error means the event is not journaled.
func (j *Journal) Append(e *usage.Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrClosed
	}
	if j.broken != nil {
		return j.broken
	}
	rec, err := e.AppendBinary(j.buf[:headerSize])
	if err != nil {
		return fmt.Errorf("journal: append %s: %w", e.ID(), err)
	}
	if len(rec)-headerSize > maxRecord {
		return fmt.Errorf("journal: append %s: record of %d bytes is over the limit", e.ID(), len(rec))
	}
	putHeader(rec)
	j.buf = rec[:0]

	active := &j.segs[len(j.segs)-1]
	if active.size > 0 && active.size+int64(len(rec)) > j.opt.SegmentBytes {
		if err := j.roll(); err != nil {
			return err
		}
		active = &j.segs[len(j.segs)-1]
	}
	// pwrite at the known end, not O_APPEND: after a short write (disk full)
	// the partial record is cut off again and the next record lands where
	// it belongs.
	if _, err := j.f.WriteAt(rec, active.size); err != nil {
		if terr := j.f.Truncate(active.size); terr != nil {
			j.broken = fmt.Errorf("journal: segment %s unusable after a failed write: %w", j.f.Name(), terr)
		}
		return fmt.Errorf("journal: append %s: %w", e.ID(), err)
	}
	active.size += int64(len(rec))
	j.next.Add(1)
	if j.opt.Sync == SyncAlways {
		if err := j.f.Sync(); err != nil {
			// After a failed fsync the kernel may have dropped the dirty
			// pages; whether this record is on disk is unknown, so stop.
			j.broken = fmt.Errorf("journal: fsync %s: %w", j.f.Name(), err)
			return j.broken
		}
	} else {
		j.dirty = true
	}
	select {
	case j.notify <- struct{}{}:
	default:
	}
	return nil
}

// roll seals the active segment and starts the next one. Called with j.mu held.
func (j *Journal) roll() error {
	if j.opt.Sync != SyncNone {
		if err := j.f.Sync(); err != nil {
			j.broken = fmt.Errorf("journal: fsync %s: %w", j.f.Name(), err)
			return j.broken
		}
		j.dirty = false
	}
	if err := j.f.Close(); err != nil {
		return fmt.Errorf("journal: close segment: %w", err)
	}
	j.f = nil
	if err := j.createSegment(j.next.Load()); err != nil {
		// Without an active segment nothing more can be appended.
		j.broken = err
		return err
	}
	return nil
}

// syncLoop fsyncs the active segment every SyncEvery when something was
// written. The fsync runs outside the lock so appends never wait on the disk.
func (j *Journal) syncLoop() {
	defer close(j.syncDone)
	t := time.NewTicker(j.opt.SyncEvery)
	defer t.Stop()
	for {
		select {
		case <-j.stopSync:
			return
		case <-t.C:
		}
		j.mu.Lock()
		f, dirty := j.f, j.dirty
		j.dirty = false
		j.mu.Unlock()
		if !dirty || f == nil {
			continue
		}
		// A roll may close f meanwhile; it fsyncs the file itself first.
		if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
			j.log.Error("journal: fsync failed; records since the last sync may not survive a power loss", "segment", f.Name(), "err", err)
		}
	}
}

// Lag is the number of events appended but not yet applied to the store.
func (j *Journal) Lag() int64 { return j.next.Load() - j.applied.Load() }

// Close stops appending, fsyncs what was written (unless the policy is
// SyncNone) and closes the active segment. Call it after Run has returned.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	j.mu.Unlock()
	if j.opt.Sync == SyncInterval {
		close(j.stopSync)
	}
	<-j.syncDone

	j.mu.Lock()
	defer j.mu.Unlock()
	defer j.lock.Close() // last: the directory is ours until the segment is closed
	if j.f == nil {
		return nil
	}
	var err error
	if j.opt.Sync != SyncNone && j.broken == nil {
		if serr := j.f.Sync(); serr != nil {
			err = fmt.Errorf("journal: close: fsync: %w", serr)
		}
	}
	if cerr := j.f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("journal: close: %w", cerr)
	}
	j.f = nil
	return err
}

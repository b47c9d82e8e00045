package usage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

// codecVersion is the first byte of every encoded event. A new field means a
// new version; decoders keep reading the old ones because journals outlive
// binaries across an upgrade.
const codecVersion = 1

// Flag bits of the flags byte.
const (
	flagStream   = 1 << 0
	flagUnpriced = 1 << 1
	flagsKnown   = flagStream | flagUnpriced
)

// The times an event can hold: year 1 (the zero time.Time) through year 9999.
// Wider garbage would wrap around inside time.Time instead of failing.
const (
	minUnix = -62135596800 // 0001-01-01T00:00:00Z
	maxUnix = 253402300799 // 9999-12-31T23:59:59Z
)

var errShort = errors.New("usage: decode: truncated event")

// AppendBinary appends the event's compact binary encoding to b
// (encoding.BinaryAppender). It allocates nothing when b has room, which is
// what the journal's hot path relies on. Times are stored as UTC wall-clock
// instants: the location and monotonic reading are dropped.
func (e *Event) AppendBinary(b []byte) ([]byte, error) {
	// Refuse what the decoder would refuse, so nothing written is unreadable.
	if sec := e.Time.Unix(); sec < minUnix || sec > maxUnix {
		return b, fmt.Errorf("usage: encode: time %v out of range", e.Time)
	}
	b = append(b, codecVersion)
	b = appendString(b, e.RequestID)
	b = binary.AppendVarint(b, int64(e.Attempt))
	b = appendTime(b, e.Time)
	b = appendString(b, e.TenantID)
	b = appendString(b, e.KeyID)
	b = appendString(b, e.KeyName)
	b = appendString(b, e.Model)
	b = appendString(b, e.Deployment)
	b = appendString(b, e.Provider)
	b = appendString(b, e.Op)
	var flags byte
	if e.Stream {
		flags |= flagStream
	}
	if e.Unpriced {
		flags |= flagUnpriced
	}
	b = append(b, flags, byte(e.Outcome), byte(e.Source))
	b = binary.AppendVarint(b, int64(e.Status))
	b = binary.AppendVarint(b, e.Usage.Prompt)
	b = binary.AppendVarint(b, e.Usage.Completion)
	b = binary.AppendVarint(b, e.Usage.Cached)
	b = binary.AppendVarint(b, e.Usage.CacheWrite)
	b = binary.AppendVarint(b, e.Usage.Reasoning)
	b = binary.AppendVarint(b, int64(e.Cost))
	b = appendString(b, e.PriceVersion)
	b = binary.AppendVarint(b, int64(e.TTFT))
	b = binary.AppendVarint(b, int64(e.Duration))
	b = appendString(b, e.Error)
	return b, nil
}

// MarshalBinary is AppendBinary into a fresh buffer (encoding.BinaryMarshaler).
func (e *Event) MarshalBinary() ([]byte, error) {
	return e.AppendBinary(make([]byte, 0, 128))
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendTime stores seconds and nanoseconds apart: UnixNano cannot hold the
// zero time.Time, and an event with no time must still round-trip.
func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// UnmarshalBinary replaces e with the event encoded in b. It checks every
// length against the bytes present and rejects unknown versions, unknown
// flags, out-of-range times and trailing bytes, so garbage is an error, never
// a panic or a huge allocation.
func (e *Event) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	v := d.byte()
	if d.err == nil && v != codecVersion {
		return fmt.Errorf("usage: decode: unknown event version %d", v)
	}
	var ev Event
	ev.RequestID = d.string()
	ev.Attempt = d.int()
	ev.Time = d.time()
	ev.TenantID = d.string()
	ev.KeyID = d.string()
	ev.KeyName = d.string()
	ev.Model = d.string()
	ev.Deployment = d.string()
	ev.Provider = d.string()
	ev.Op = d.string()
	flags := d.byte()
	ev.Outcome = Outcome(d.byte())
	ev.Source = Source(d.byte())
	ev.Status = d.int()
	ev.Usage.Prompt = d.varint()
	ev.Usage.Completion = d.varint()
	ev.Usage.Cached = d.varint()
	ev.Usage.CacheWrite = d.varint()
	ev.Usage.Reasoning = d.varint()
	ev.Cost = money.Nanos(d.varint())
	ev.PriceVersion = d.string()
	ev.TTFT = time.Duration(d.varint())
	ev.Duration = time.Duration(d.varint())
	ev.Error = d.string()
	if d.err != nil {
		return d.err
	}
	if flags&^flagsKnown != 0 {
		return fmt.Errorf("usage: decode: unknown flags %#x", flags)
	}
	if len(d.b) != 0 {
		return fmt.Errorf("usage: decode: %d trailing bytes", len(d.b))
	}
	ev.Stream = flags&flagStream != 0
	ev.Unpriced = flags&flagUnpriced != 0
	*e = ev
	return nil
}

// decoder reads fields front to back; the first error sticks and every later
// read returns a zero value, so UnmarshalBinary checks once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail(errShort)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// int reads a varint that must fit the platform's int.
func (d *decoder) int() int {
	v := d.varint()
	if int64(int(v)) != v {
		d.fail(fmt.Errorf("usage: decode: integer %d overflows int", v))
		return 0
	}
	return int(v)
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	// Checked against the bytes present, so a corrupt length can never ask
	// for more memory than the input already holds.
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) time() time.Time {
	sec := d.varint()
	nsec := d.uvarint()
	if d.err != nil {
		return time.Time{}
	}
	if nsec >= 1e9 || sec < minUnix || sec > maxUnix {
		d.fail(fmt.Errorf("usage: decode: time %d.%09d s out of range", sec, nsec))
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

package listen

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Listener caps the open connections of the listener it wraps.
//
// Past the cap a connection is not refused outright, because then a health
// checker (which opens a fresh connection per probe) would see the node as
// dead exactly when it is busiest. Instead it is accepted on probation: one
// of a few spare slots, with a short absolute deadline on every read and
// write, one request only, and only /healthz and /readyz are served on it;
// anything else gets 503 with Retry-After (see Shed). A slowloris cannot
// squat a spare slot for longer than the probation, so probes get through
// as soon as one frees. Past the spare slots too, the connection is closed
// at once: the client sees a reset it can retry, rather than a SYN that
// hangs in a full backlog.
type Listener struct {
	net.Listener
	max, spare int64
	probation  time.Duration
	open, over atomic.Int64
	refused    atomic.Int64
}

// DefaultSpare and DefaultProbation are the spare slots and their deadline
// the gateway uses past its connection cap.
const (
	DefaultSpare     = 64
	DefaultProbation = 2 * time.Second
)

// Limit wraps ln so that at most max connections are open at once, plus
// spare connections on probation. max <= 0 means no cap.
func Limit(ln net.Listener, max, spare int, probation time.Duration) *Listener {
	return &Listener{Listener: ln, max: int64(max), spare: int64(spare), probation: probation}
}

// Accept waits for a connection that fits under the cap or in a spare slot.
// Connections that fit in neither are closed here and never returned.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.max <= 0 || l.open.Add(1) <= l.max {
			return &conn{Conn: c, count: &l.open}, nil
		}
		l.open.Add(-1)
		if l.over.Add(1) <= l.spare {
			until := time.Now().Add(l.probation)
			c.SetDeadline(until)
			return &conn{Conn: c, count: &l.over, until: until}, nil
		}
		l.over.Add(-1)
		l.refused.Add(1)
		c.Close()
	}
}

// Open is the number of connections open under the cap; Probation the
// number on probation past it; Refused how many were closed at accept.
func (l *Listener) Open() int64      { return l.open.Load() }
func (l *Listener) Probation() int64 { return l.over.Load() }
func (l *Listener) Refused() int64   { return l.refused.Load() }

// conn releases its slot when closed. On probation it clamps every
// deadline net/http sets to the probation deadline, so the server's own
// header and idle timeouts cannot extend it.
type conn struct {
	net.Conn
	count *atomic.Int64
	once  sync.Once
	until time.Time // zero: not on probation
}

func (c *conn) Close() error {
	c.once.Do(func() { c.count.Add(-1) })
	return c.Conn.Close()
}

func (c *conn) clamp(t time.Time) time.Time {
	if c.until.IsZero() || (!t.IsZero() && t.Before(c.until)) {
		return t
	}
	return c.until
}

func (c *conn) SetDeadline(t time.Time) error      { return c.Conn.SetDeadline(c.clamp(t)) }
func (c *conn) SetReadDeadline(t time.Time) error  { return c.Conn.SetReadDeadline(c.clamp(t)) }
func (c *conn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(c.clamp(t)) }

// CloseWrite keeps net/http's graceful half-close (FIN, short wait, close)
// working through the wrapper: without it an error answer sent while the
// client still writes its body could be lost to a reset.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

type probationKey struct{}

// ConnContext is an http.Server ConnContext hook: it marks the requests of
// a connection on probation, for Shed.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*conn); ok && !lc.until.IsZero() {
		return context.WithValue(ctx, probationKey{}, true)
	}
	return ctx
}

// onProbation reports whether the request came on a connection past the cap.
func onProbation(ctx context.Context) bool {
	v, _ := ctx.Value(probationKey{}).(bool)
	return v
}

package admit

import (
	"context"
	"time"
)

// detached is its parent without the parent's cancellation, as
// context.WithoutCancel returns, but kept inside the Ticket so that
// settling allocates nothing. It lives only while Finish runs: Finish
// clears it before the Ticket is recycled.
type detached struct{ parent context.Context }

func (d *detached) Deadline() (time.Time, bool) { return time.Time{}, false }
func (d *detached) Done() <-chan struct{}       { return nil }
func (d *detached) Err() error                  { return nil }

// Value goes through context.WithoutCancel so that what the context package
// asks of its own (context.Cause) answers as for a context never cancelled;
// it allocates, but settling asks for no values on the common path.
func (d *detached) Value(key any) any { return context.WithoutCancel(d.parent).Value(key) }

package emulate

import (
	"context"
	"time"
)

// pacer times one response: its first token is due TTFT after the request
// arrived, and later tokens at TPS tokens a second after that. One timer
// serves the whole response, however many tokens it has.
type pacer struct {
	ctx   context.Context
	first time.Time // when the first token is due
	tps   float64
	timer *time.Timer
}

func newPacer(ctx context.Context, start time.Time, k *Knobs) pacer {
	return pacer{ctx: ctx, first: start.Add(k.TTFT), tps: k.TPS}
}

// wait blocks until tokens tokens after the first are due, and reports
// whether the client is still there. It never sleeps when it is already late.
func (p *pacer) wait(tokens int) bool {
	due := p.first
	if p.tps > 0 && tokens > 0 {
		due = due.Add(time.Duration(float64(tokens) / p.tps * float64(time.Second)))
	}
	d := time.Until(due)
	if d <= 0 {
		return p.ctx.Err() == nil
	}
	if p.timer == nil {
		p.timer = time.NewTimer(d)
	} else {
		p.timer.Reset(d)
	}
	select {
	case <-p.timer.C:
		return true
	case <-p.ctx.Done():
		return false
	}
}

func (p *pacer) stop() {
	if p.timer != nil {
		p.timer.Stop()
	}
}

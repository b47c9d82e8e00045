package limit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// Memory is the one-node Limiter: sliding windows kept in process, by scope
// name, under a mutex per scope. Scopes are locked in name order, so an
// admission over several scopes is atomic without deadlock.
type Memory struct {
	now      func() time.Time
	slot     int64 // rate slot width, ns
	leaseTTL time.Duration
	lease    int64 // lease slot width, ns
	shards   [64]shard
}

type shard struct {
	mu    sync.RWMutex
	m     map[string]*state
	swept int64 // unix ns of the last sweep
	_     [64]byte
}

// state is one scope's usage. dead marks a state swept out of its shard, so
// a caller that looked it up just before retries the lookup.
type state struct {
	mu                      sync.Mutex
	req, tok, conc          window
	hasReq, hasTok, hasConc bool // which windows are allocated
	dead                    bool
}

var seed = maphash.MakeSeed()

// NewMemory returns an in-memory limiter.
func NewMemory(o Options) *Memory {
	m := &Memory{now: o.Now, leaseTTL: o.leaseTTL()}
	if m.now == nil {
		m.now = time.Now
	}
	m.slot = int64(Window / rateSlots)
	m.lease = int64(m.leaseTTL / leaseSlots)
	for i := range m.shards {
		m.shards[i].m = make(map[string]*state)
	}
	return m
}

func (m *Memory) shard(name string) *shard {
	return &m.shards[maphash.String(seed, name)%uint64(len(m.shards))]
}

// lookup finds a scope's state, creating it if create is set.
func (m *Memory) lookup(name string, create bool, now int64) *state {
	sh := m.shard(name)
	sh.mu.RLock()
	st := sh.m[name]
	sh.mu.RUnlock()
	if st != nil || !create {
		return st
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if st = sh.m[name]; st != nil {
		return st
	}
	// Creation is when a shard grows, so it is when idle scopes are dropped:
	// the map stays as large as the scopes active in the last minute or so.
	if now-sh.swept > int64(Window) {
		sh.swept = now
		m.sweep(sh, now)
	}
	st = &state{}
	sh.m[name] = st
	return st
}

// sweep drops states with nothing in any window. Caller holds sh.mu.
func (m *Memory) sweep(sh *shard, now int64) {
	for name, st := range sh.m {
		st.mu.Lock()
		st.advanceAll(now/m.slot, now/m.lease)
		if st.req.sum == 0 && st.tok.sum == 0 && st.conc.sum == 0 {
			st.dead = true
			delete(sh.m, name)
		}
		st.mu.Unlock()
	}
}

func (st *state) advanceAll(rs, ls int64) {
	if st.hasReq {
		st.req.advance(rs)
	}
	if st.hasTok {
		st.tok.advance(rs)
	}
	if st.hasConc {
		st.conc.advance(ls)
	}
}

// maxLocked is how many scopes an admission handles on the stack.
const maxLocked = 8

// Admit implements Limiter.
func (m *Memory) Admit(_ context.Context, a *Ask) (Decision, Ticket, error) {
	t := a.Now
	if t.IsZero() {
		t = m.now()
	}
	now := t.UnixNano()
	rs, ls := now/m.slot, now/m.lease

	var buf [maxLocked]int // indexes into a.Scopes, deduplicated by name, in lock order
	idx := buf[:0]
	if len(a.Scopes) > maxLocked {
		idx = make([]int, 0, len(a.Scopes))
	}
	var sbuf [maxLocked]*state
	sts := sbuf[:0]
	if len(a.Scopes) > maxLocked {
		sts = make([]*state, 0, len(a.Scopes))
	}
	for i := range a.Scopes {
		idx = insertScope(idx, a.Scopes, i)
	}
	for {
		sts = sts[:0]
		for _, i := range idx {
			sts = append(sts, m.lookup(a.Scopes[i].Name, true, now))
		}
		dead := false
		for _, st := range sts {
			st.mu.Lock()
			dead = dead || st.dead
		}
		if !dead {
			break
		}
		for _, st := range sts { // swept under us: look up again
			st.mu.Unlock()
		}
	}

	var d Decision
	var worst int64 = -1 // ns to wait, of the refusal reported
	refuse := func(scope, which string, waitNS int64) {
		if waitNS < 0 {
			if !d.TooLarge {
				d.Scope, d.Which, d.TooLarge, worst = scope, which, true, 1<<62
			}
			return
		}
		if waitNS > worst {
			d.Scope, d.Which, worst = scope, which, waitNS
		}
	}
	for k, i := range idx {
		sc, st := &a.Scopes[i], sts[k]
		l := sc.Limits
		if l.RPM > 0 {
			if !st.hasReq {
				st.req, st.hasReq = newWindow(rateSlots), true
				st.req.head = rs
			}
			st.req.advance(rs)
			if st.req.sum+1 > l.RPM {
				refuse(sc.Name, Requests, m.waitNS(&st.req, 1, l.RPM, m.slot, now))
			}
		}
		if l.TPM > 0 {
			if !st.hasTok {
				st.tok, st.hasTok = newWindow(rateSlots), true
				st.tok.head = rs
			}
			st.tok.advance(rs)
			if st.tok.sum+a.Tokens > l.TPM {
				refuse(sc.Name, Tokens, m.waitNS(&st.tok, a.Tokens, l.TPM, m.slot, now))
			}
		}
		if l.Concurrent > 0 {
			if !st.hasConc {
				st.conc, st.hasConc = newWindow(leaseSlots), true
				st.conc.head = ls
			}
			st.conc.advance(ls)
			if st.conc.sum+1 > l.Concurrent {
				refuse(sc.Name, Concurrent, int64(time.Second))
			}
		}
	}
	var tk Ticket
	if d.Which == "" {
		d.Allowed = true
		tk.tokens = a.Tokens
		for k, i := range idx {
			sc, st := &a.Scopes[i], sts[k]
			c := charge{scope: sc.Name, tokSlot: -1, concSlot: -1}
			if sc.Limits.RPM > 0 {
				st.req.add(1)
			}
			if sc.Limits.TPM > 0 {
				st.tok.add(a.Tokens)
				c.tokSlot = st.tok.head
			}
			if sc.Limits.Concurrent > 0 {
				st.conc.add(1)
				c.concSlot = st.conc.head
			}
			tk.add(c)
		}
	} else if !d.TooLarge {
		d.RetryAfter = time.Duration(worst)
	}
	d.Headers = m.headers(a, idx, sts, now)
	for _, st := range sts {
		st.mu.Unlock()
	}
	return d, tk, nil
}

// waitNS converts a window's wait in slots to nanoseconds from now.
func (m *Memory) waitNS(w *window, need, limit, width, now int64) int64 {
	k := w.wait(need, limit)
	if k < 0 {
		return -1
	}
	return (w.head+k)*width - now
}

// headers reports, per dimension, the scope with the least remaining.
func (m *Memory) headers(a *Ask, idx []int, sts []*state, now int64) Headers {
	var h Headers
	for k, i := range idx {
		l, st := a.Scopes[i].Limits, sts[k]
		if l.RPM > 0 {
			rem := max(0, l.RPM-st.req.sum)
			if h.LimitRequests == 0 || rem < h.RemainingRequests {
				h.LimitRequests, h.RemainingRequests = l.RPM, rem
				h.ResetRequests = m.emptyIn(&st.req, now)
			}
		}
		if l.TPM > 0 {
			rem := max(0, l.TPM-st.tok.sum)
			if h.LimitTokens == 0 || rem < h.RemainingTokens {
				h.LimitTokens, h.RemainingTokens = l.TPM, rem
				h.ResetTokens = m.emptyIn(&st.tok, now)
			}
		}
	}
	return h
}

func (m *Memory) emptyIn(w *window, now int64) time.Duration {
	k := w.emptyIn()
	if k == 0 {
		return 0
	}
	return time.Duration((w.head+k)*m.slot - now)
}

// insertScope inserts scope i into idx kept sorted by name, dropping a name
// already present (the first occurrence's limits count).
func insertScope(idx []int, sc []Scope, i int) []int {
	name := sc[i].Name
	p := len(idx)
	for k, j := range idx {
		if sc[j].Name == name {
			return idx
		}
		if name < sc[j].Name && p == len(idx) {
			p = k
		}
	}
	idx = append(idx, 0)
	copy(idx[p+1:], idx[p:])
	idx[p] = i
	return idx
}

// Settle implements Limiter.
//
// Only an extra charge (actual tokens over the admission's) reads the clock:
// it lands in the head slot, which must be now's. A refund or a lease given
// back is applied where the window stands: refunding slot j and then
// advancing past it takes the same from the sum, and leaves the same slots,
// as advancing first (which drops what is left of j whole and the refund
// with it), so the next reader, who advances to its own now, sees the same
// window either way. That spares a time.Now on most settlements.
func (m *Memory) Settle(_ context.Context, t Ticket, actual int64) error {
	if t.n == 0 {
		return nil
	}
	delta := actual - t.tokens
	var now, rs int64
	if delta > 0 {
		now = m.now().UnixNano()
		rs = now / m.slot
	}
	for i := 0; i < t.n; i++ {
		c := t.at(i)
		add := delta > 0 && c.tokSlot >= 0
		st := m.lookup(c.scope, add, now)
		if st == nil {
			continue // swept: its windows were already empty
		}
		st.mu.Lock()
		if st.dead {
			st.mu.Unlock()
			if st = m.lookup(c.scope, add, now); st == nil {
				continue
			}
			st.mu.Lock()
		}
		if add {
			if !st.hasTok {
				st.tok, st.hasTok = newWindow(rateSlots), true
				st.tok.head = rs
			}
			st.tok.advance(rs)
			st.tok.add(delta)
		} else if delta < 0 && c.tokSlot >= 0 && st.hasTok {
			st.tok.refund(c.tokSlot, -delta)
		}
		if c.concSlot >= 0 && st.hasConc {
			st.conc.refund(c.concSlot, 1)
		}
		st.mu.Unlock()
	}
	return nil
}

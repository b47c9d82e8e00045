package budget

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

// Memory keeps budgets in this process: exact on one node, and what Fallback
// serves from while Redis is down. Each scope and period has its own mutex; a
// reservation locks its scopes in a fixed order so two requests over the same
// scopes never deadlock. The zero value is not usable; call NewMemory.
type Memory struct {
	// Notifier receives threshold alerts; nil drops them.
	Notifier *Notifier

	mu sync.RWMutex
	// ledgers are by scope, then by period: a lookup hashes one short
	// string (a map keyed by the whole book hashed two strings and two ints,
	// a tenth of a one-node admission's CPU).
	ledgers map[string][]*ledger
	order   uint64 // creation order of ledgers, the lock order
	ids     atomic.Uint64
}

// NewMemory returns an empty Memory that sends alerts to n (which may be nil).
func NewMemory(n *Notifier) *Memory {
	return &Memory{Notifier: n, ledgers: make(map[string][]*ledger)}
}

// ledger is the books of one scope and period.
type ledger struct {
	order uint64
	book  book

	mu         sync.Mutex
	buckets    map[int64]bucketSpend // bucket ID → spend
	held       money.Nanos
	holds      map[uint64]hold
	nextExpiry time.Time          // earliest hold expiry; zero when there are no holds
	marks      map[mark]time.Time // alerts sent → when the mark may be forgotten
	cal        span               // the period's bucket and window last worked out
}

// span is a period's current bucket and window at some instant. Working them
// out in a time zone costs more than the rest of a reservation, and they
// change once a day at most, so a ledger (one period shape) keeps the last.
type span struct {
	bucket     Bucket
	start, end time.Time
}

// span is p's bucket and window at now. Call with l.mu held.
func (l *ledger) span(p Period, now time.Time) *span {
	c := &l.cal
	if p.Kind == Lifetime {
		*c = span{} // one bucket, no window: nothing to work out
		return c
	}
	if c.bucket.End.IsZero() || now.Before(c.bucket.Start) || !now.Before(c.bucket.End) {
		c.bucket = p.Current(now)
		c.start, c.end = p.Window(now)
	}
	return c
}

type bucketSpend struct {
	spent  money.Nanos
	expire time.Time
}

type hold struct {
	amount  money.Nanos
	expires time.Time
}

type mark struct {
	window    int64 // window start, Unix seconds
	threshold int
}

func (m *Memory) ledger(b *Budget) *ledger {
	k := b.book()
	m.mu.RLock()
	l := find(m.ledgers[k.scope], k)
	m.mu.RUnlock()
	if l != nil {
		return l
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if l = find(m.ledgers[k.scope], k); l == nil {
		m.order++
		l = &ledger{order: m.order, book: k, buckets: make(map[int64]bucketSpend), holds: make(map[uint64]hold), marks: make(map[mark]time.Time)}
		m.ledgers[k.scope] = append(m.ledgers[k.scope], l)
	}
	return l
}

// find is the ledger of k among one scope's (usually one).
func find(ls []*ledger, k book) *ledger {
	for _, l := range ls {
		if l.book == k {
			return l
		}
	}
	return nil
}

// reapHolds drops holds that expired by now. It scans only when the earliest
// expiry has passed, so the common path costs one comparison.
func (l *ledger) reapHolds(now time.Time) {
	if l.nextExpiry.IsZero() || now.Before(l.nextExpiry) {
		return
	}
	var next time.Time
	for id, h := range l.holds {
		if !now.Before(h.expires) {
			l.held -= h.amount
			delete(l.holds, id)
			continue
		}
		if next.IsZero() || h.expires.Before(next) {
			next = h.expires
		}
	}
	l.nextExpiry = next
}

// spent is the settled spend in p's window at now.
func (l *ledger) spent(p Period, now time.Time) money.Nanos {
	sp := l.span(p, now)
	if p.Kind != Rolling {
		return l.buckets[sp.bucket.ID()].spent
	}
	s, e := sp.start.Unix(), sp.end.Unix()
	var sum money.Nanos
	for id, b := range l.buckets {
		if id >= s && id < e {
			sum += b.spent
		}
	}
	return sum
}

// lockSet is the ledgers of one reservation: the ledger of each budget, and
// the distinct ones sorted by lock order. It is plain arrays so it stays on
// the stack.
type lockSet struct {
	of [MaxScopes]*ledger
	ls [MaxScopes]*ledger
	n  int
}

func (m *Memory) lockSet(s *lockSet, budgets []Budget) {
	s.n = 0
	for i := range budgets {
		l := m.ledger(&budgets[i])
		s.of[i] = l
		dup := false
		for k := 0; k < s.n; k++ {
			if s.ls[k] == l {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		j := s.n
		for ; j > 0 && s.ls[j-1].order > l.order; j-- {
			s.ls[j] = s.ls[j-1]
		}
		s.ls[j] = l
		s.n++
	}
}

// lockSetOf is lockSet for a reservation: from the ledgers Reserve kept
// when it has them, else by looking them up.
func (m *Memory) lockSetOf(s *lockSet, r *Reservation) {
	if len(r.Budgets) > len(r.ledgers) || r.ledgers[0] == nil {
		m.lockSet(s, r.Budgets)
		return
	}
	s.n = 0
	for i := range r.Budgets {
		l := r.ledgers[i]
		s.of[i] = l
		if s.n == 1 && s.ls[0] == l {
			continue
		}
		if s.n == 1 && s.ls[0].order > l.order {
			s.ls[1], s.ls[0] = s.ls[0], l
		} else {
			s.ls[s.n] = l
		}
		s.n++
	}
}

func (s *lockSet) lock() {
	for i := 0; i < s.n; i++ {
		s.ls[i].mu.Lock()
	}
}

func (s *lockSet) unlock() {
	for i := s.n - 1; i >= 0; i-- {
		s.ls[i].mu.Unlock()
	}
}

// Reserve implements Backend.
func (m *Memory) Reserve(_ context.Context, budgets []Budget, amount money.Nanos, ttl time.Duration, now time.Time) (Reservation, *Refusal, error) {
	if err := validate(budgets, amount, ttl); err != nil {
		return Reservation{}, nil, err
	}
	if len(budgets) == 0 {
		return Reservation{}, nil, nil
	}
	var s lockSet
	m.lockSet(&s, budgets)
	s.lock()
	for _, l := range s.ls[:s.n] {
		l.reapHolds(now)
	}
	for i := range budgets {
		b := &budgets[i]
		if !b.Hard {
			continue
		}
		l := s.of[i]
		spent := l.spent(b.Period, now)
		if held := l.held; spent+held+amount > b.Limit {
			s.unlock()
			return Reservation{}, refusal(b, spent, held, now), nil
		}
	}
	id := m.ids.Add(1)
	exp := now.Add(ttl)
	for _, l := range s.ls[:s.n] {
		l.holds[id] = hold{amount: amount, expires: exp}
		l.held += amount
		if l.nextExpiry.IsZero() || exp.Before(l.nextExpiry) {
			l.nextExpiry = exp
		}
	}
	s.unlock()
	r := Reservation{ID: id, Amount: amount, Budgets: budgets, At: now}
	if len(budgets) <= len(r.ledgers) {
		copy(r.ledgers[:], s.of[:len(budgets)])
	}
	return r, nil, nil
}

// Settle implements Backend.
func (m *Memory) Settle(_ context.Context, r Reservation, actual money.Nanos) error {
	if r.ID == 0 {
		return nil
	}
	var s lockSet
	m.lockSetOf(&s, &r)
	var alerts []Alert
	for _, l := range s.ls[:s.n] {
		l.mu.Lock()
		if h, ok := l.holds[r.ID]; ok {
			l.held -= h.amount
			delete(l.holds, r.ID)
		}
		booked := false
		for i := range r.Budgets {
			b := &r.Budgets[i]
			if s.of[i] != l {
				continue
			}
			cur := l.span(b.Period, r.At).bucket
			if !booked {
				bs := l.buckets[cur.ID()]
				bs.spent += actual
				bs.expire = cur.End.Add(b.Period.retention())
				l.buckets[cur.ID()] = bs
				booked = true
			}
			alerts = l.alerts(alerts, b, r.At)
		}
		l.mu.Unlock()
	}
	for i := range alerts {
		m.Notifier.notify(alerts[i])
	}
	return nil
}

// alerts appends the thresholds b's spend has crossed that no one has
// alerted on yet in this window, marking them sent. Call with l.mu held.
func (l *ledger) alerts(dst []Alert, b *Budget, at time.Time) []Alert {
	spent := l.spent(b.Period, at)
	var buf [len(Thresholds)]int
	for _, t := range crossed(buf[:0], spent, b.Limit) {
		sp := l.span(b.Period, at)
		start, end := sp.start, sp.end
		k := mark{window: start.Unix(), threshold: t}
		if start.IsZero() {
			k.window = 0
		}
		if _, sent := l.marks[k]; sent {
			continue
		}
		forget := end.Add(b.Period.retention())
		if end.IsZero() {
			forget = time.Time{} // lifetime: never forget
		}
		l.marks[k] = forget
		dst = append(dst, Alert{Scope: b.Scope, Threshold: t, Limit: b.Limit, Spent: spent, Period: b.Period.String(),
			Hard: b.Hard, WindowStart: start, ResetsAt: end, Webhook: b.Webhook})
	}
	return dst
}

// Release implements Backend.
func (m *Memory) Release(_ context.Context, r Reservation) error {
	if r.ID == 0 {
		return nil
	}
	var s lockSet
	m.lockSetOf(&s, &r)
	for _, l := range s.ls[:s.n] {
		l.mu.Lock()
		if h, ok := l.holds[r.ID]; ok {
			l.held -= h.amount
			delete(l.holds, r.ID)
		}
		l.mu.Unlock()
	}
	return nil
}

// Status implements Backend.
func (m *Memory) Status(_ context.Context, b Budget, now time.Time) (Status, error) {
	l := m.ledger(&b)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reapHolds(now)
	start, end := b.Period.Window(now)
	return Status{Spent: l.spent(b.Period, now), Held: l.held, Start: start, ResetsAt: end}, nil
}

// Seed implements Backend: it overwrites the bucket's spend.
func (m *Memory) Seed(_ context.Context, b Budget, bucket Bucket, spent money.Nanos) error {
	l := m.ledger(&b)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buckets[bucket.ID()] = bucketSpend{spent: spent, expire: bucket.End.Add(b.Period.retention())}
	return nil
}

// Reap drops expired holds, buckets past their retention and alert marks of
// windows long gone. Reserve reaps the holds of its own scopes anyway; Reap
// frees scopes no request touches any more.
func (m *Memory) Reap(now time.Time) {
	m.mu.RLock()
	ls := make([]*ledger, 0, len(m.ledgers))
	for _, scope := range m.ledgers {
		ls = append(ls, scope...)
	}
	m.mu.RUnlock()
	for _, l := range ls {
		l.mu.Lock()
		l.reapHolds(now)
		for id, b := range l.buckets {
			if id != 0 && !b.expire.IsZero() && now.After(b.expire) {
				delete(l.buckets, id)
			}
		}
		for k, forget := range l.marks {
			if !forget.IsZero() && now.After(forget) {
				delete(l.marks, k)
			}
		}
		l.mu.Unlock()
	}
}

// Run reaps every interval until ctx is done.
func (m *Memory) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			m.Reap(now)
		}
	}
}

package budget

import (
	"fmt"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

// RedisSettleLua is the Settle script's Lua as a library: RedisLua plus
// budget.settle (settlelib.lua), for a script that settles budgets inside a
// larger atomic step, such as the joint settlement that settles rate limits
// in the same round trip (internal/admit/redisadmit).
var RedisSettleLua = reserveLib + settleLib

// RedisLua is the Reserve script's Lua as a library: it defines the local
// table `budget` (clock, check, hold; see reservelib.lua) for a script that
// holds budgets inside a larger atomic step, such as the joint admission
// that takes rate limits in the same round trip (internal/admit/redisadmit).
// Such a script must include it before its own code.
var RedisLua = reserveLib

// ReservePlan is one reservation in the script's terms: the keys and
// arguments budget.check and budget.hold take, and how to read the result.
type ReservePlan struct {
	Keys []string
	Args []any

	r       *Redis
	id      uint64
	budgets []Budget
	amount  money.Nanos
	now     time.Time // corrected to Redis's clock
}

// Plan validates a reservation and lays it out for the script. An empty
// budgets slice gives a plan with no keys, which holds nothing.
func (r *Redis) Plan(budgets []Budget, amount money.Nanos, ttl time.Duration, now time.Time) (ReservePlan, error) {
	if err := validate(budgets, amount, ttl); err != nil {
		return ReservePlan{}, err
	}
	if len(budgets) == 0 {
		return ReservePlan{r: r}, nil
	}
	now = r.clock(now)
	id := r.idBase + r.ids.Add(1)
	keys := make([]string, 0, len(budgets)*3)
	args := make([]any, 0, 4+len(budgets)*3)
	args = append(args, strconv.FormatInt(int64(amount), 10), strconv.FormatInt(ttl.Milliseconds()+1, 10), strconv.FormatUint(id, 10), len(budgets))
	var bs []Bucket
	for i := range budgets {
		b := &budgets[i]
		k := b.book().redisKey()
		h, z := r.holdKeys(k)
		keys = append(keys, h, z)
		bs = b.Period.Buckets(bs[:0], now)
		for _, bu := range bs {
			keys = append(keys, r.bucketKey(k, bu))
		}
		hard := "0"
		if b.Hard {
			hard = "1"
		}
		args = append(args, strconv.FormatInt(int64(b.Limit), 10), hard, len(bs))
	}
	return ReservePlan{Keys: keys, Args: args, r: r, id: id, budgets: budgets, amount: amount, now: now}, nil
}

// Decode reads the script's verdict: {1, 0, 0, 0, now_ms} when every budget
// was held, or budget.check's refusal. sent is when the request left, to
// learn Redis's clock skew from the now it answers with.
func (p *ReservePlan) Decode(res []int64, sent time.Time) (Reservation, *Refusal, error) {
	if len(res) != 5 {
		return Reservation{}, nil, fmt.Errorf("budget: redis reserve: unexpected reply %v", res)
	}
	// Redis read its clock about halfway through the round trip.
	local := sent.Add(time.Since(sent) / 2)
	p.r.skew.Store(int64(time.UnixMilli(res[4]).Sub(local)))
	if res[0] == 0 {
		if res[1] < 1 || int(res[1]) > len(p.budgets) {
			return Reservation{}, nil, fmt.Errorf("budget: redis reserve: refusal names budget %d of %d", res[1], len(p.budgets))
		}
		b := &p.budgets[res[1]-1]
		return Reservation{}, refusal(b, money.Nanos(res[2]), money.Nanos(res[3]), p.now), nil
	}
	return Reservation{ID: p.id, Amount: p.amount, Budgets: p.budgets, At: p.now}, nil, nil
}

// Forget releases, in the background, the hold of a plan whose script
// failed: it may have run with only its reply lost (a read timeout, a
// cancelled caller), and the hold would then refuse others until it
// expired. Releasing an id Redis never held does nothing.
func (p *ReservePlan) Forget() {
	if p.id != 0 {
		p.r.forget(p.id, p.budgets)
	}
}

// thresholdNames are Thresholds as the alert keys spell them.
var thresholdNames = func() (n [len(Thresholds)]string) {
	for i, t := range Thresholds {
		n[i] = strconv.Itoa(t)
	}
	return n
}()

// SettlePlan is one settlement in budget.settle's terms (settlelib.lua): the
// keys and arguments, and the budgets whose alerts the reply names.
type SettlePlan struct {
	Keys []string
	Args []any

	r   *Redis
	res Reservation
}

// SettlePlan lays out the settlement of res at actual for the script. A
// reservation with no ID gives a plan with no keys, which settles nothing.
func (r *Redis) SettlePlan(res Reservation, actual money.Nanos) SettlePlan {
	if res.ID == 0 {
		return SettlePlan{r: r}
	}
	keys := make([]string, 0, len(res.Budgets)*6)
	args := make([]any, 0, 3+len(res.Budgets)*5)
	args = append(args, strconv.FormatUint(res.ID, 10), strconv.FormatInt(int64(actual), 10), len(res.Budgets))
	var bs []Bucket
	var buf [MaxScopes]string
	seen := buf[:0]
	if len(res.Budgets) > MaxScopes {
		seen = make([]string, 0, len(res.Budgets))
	}
	for i := range res.Budgets {
		b := &res.Budgets[i]
		k := b.book().redisKey()
		h, z := r.holdKeys(k)
		keys = append(keys, h, z)
		bs = b.Period.Buckets(bs[:0], res.At)
		for _, bu := range bs {
			keys = append(keys, r.bucketKey(k, bu))
		}
		start, end := b.Period.Window(res.At)
		var w int64
		if !start.IsZero() {
			w = start.Unix()
		}
		alert := r.prefix + "a:" + k + ":" + strconv.FormatInt(w, 10) + ":"
		for _, t := range thresholdNames {
			keys = append(keys, alert+t)
		}
		bexp, mexp := "0", "0"
		if !bs[0].End.IsZero() {
			bexp = strconv.FormatInt(bs[0].End.Add(b.Period.retention()).Unix(), 10)
		}
		if !end.IsZero() {
			mexp = strconv.FormatInt(end.Add(b.Period.retention()).Unix(), 10)
		}
		book := "1"
		for _, s := range seen {
			if s == k {
				book = "0" // the same scope and period twice: hold and spend are shared
			}
		}
		seen = append(seen, k)
		args = append(args, strconv.FormatInt(int64(b.Limit), 10), bexp, len(bs), mexp, book)
	}
	return SettlePlan{Keys: keys, Args: args, r: r, res: res}
}

// Notify sends the alerts budget.settle's reply says this replica won.
func (p *SettlePlan) Notify(won []int64) {
	for i := 0; i+2 < len(won); i += 3 {
		if won[i] < 1 || int(won[i]) > len(p.res.Budgets) {
			continue
		}
		b := &p.res.Budgets[won[i]-1]
		start, end := b.Period.Window(p.res.At)
		p.r.notifier.notify(Alert{Scope: b.Scope, Threshold: int(won[i+1]), Limit: b.Limit, Spent: money.Nanos(won[i+2]),
			Period: b.Period.String(), Hard: b.Hard, WindowStart: start, ResetsAt: end, Webhook: b.Webhook})
	}
}

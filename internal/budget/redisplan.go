package budget

import (
	"fmt"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

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

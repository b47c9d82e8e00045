package limit

import (
	"fmt"
	"time"
)

// RedisLua is the Redis limiter's Lua as a library: it defines the local
// table `limit` (check, finish, settle; see redislib.lua) for a script that
// takes the limits inside a larger atomic step, such as the joint admission
// that takes budget holds in the same round trip (internal/admit/redisadmit).
// Such a script must begin with it, and must call limit.check, then
// limit.finish only if nothing else refuses: check writes nothing, so an
// admission dropped between the two leaves no charge behind.
var RedisLua = luaLib

// AdmitPlan is one admission in the script's terms: the keys and arguments
// limit.check takes, and how to read limit.finish's reply.
type AdmitPlan struct {
	Keys []string
	Args []any
	ask  *Ask
	idx  []int // scopes by name, deduplicated: the order of Keys
}

// Plan lays out a's admission for the script: one key per scope
// (deduplicated, in name order; the hash of its three windows) and the
// arguments of an "admit" call.
func (r *Redis) Plan(a *Ask) AdmitPlan {
	idx := make([]int, 0, len(a.Scopes))
	for i := range a.Scopes {
		idx = insertScope(idx, a.Scopes, i)
	}
	keys := make([]string, 0, len(idx))
	args := r.common("admit", a.Tokens)
	for _, i := range idx {
		s := &a.Scopes[i]
		keys = append(keys, r.prefix+s.Name)
		args = append(args, s.Limits.RPM, s.Limits.TPM, s.Limits.Concurrent)
	}
	return AdmitPlan{Keys: keys, Args: args, ask: a, idx: idx}
}

// ReplyLen is how many values limit.finish returns for this plan.
func (p *AdmitPlan) ReplyLen() int { return 10 + 2*len(p.idx) }

// Decode reads limit.finish's reply: the decision and, when allowed, the
// ticket that settles it.
func (p *AdmitPlan) Decode(res []int64) (Decision, Ticket, error) {
	if len(res) != p.ReplyLen() {
		return Decision{}, Ticket{}, fmt.Errorf("limit: redis admit: %d values from the script, want %d", len(res), p.ReplyLen())
	}
	d := Decision{Allowed: res[0] == 1, Headers: Headers{
		LimitRequests: res[4], RemainingRequests: res[5], ResetRequests: time.Duration(res[6]) * time.Microsecond,
		LimitTokens: res[7], RemainingTokens: res[8], ResetTokens: time.Duration(res[9]) * time.Microsecond,
	}}
	var tk Ticket
	a := p.ask
	if !d.Allowed {
		if res[1] < 1 || int(res[1]) > len(p.idx) || res[2] < 1 || res[2] > 3 {
			return Decision{}, Ticket{}, fmt.Errorf("limit: redis admit: refusal names scope %d, limit %d", res[1], res[2])
		}
		d.Scope = a.Scopes[p.idx[res[1]-1]].Name
		d.Which = [...]string{"", Requests, Tokens, Concurrent}[res[2]]
		if res[3] < 0 {
			d.TooLarge = true
		} else {
			d.RetryAfter = time.Duration(res[3]) * time.Microsecond
		}
		return d, tk, nil
	}
	tk.tokens = a.Tokens
	for k, i := range p.idx {
		tk.add(charge{scope: a.Scopes[i].Name, tokSlot: res[10+2*k], concSlot: res[11+2*k]})
	}
	return d, tk, nil
}

// SettlePlan is one settlement in limit.settle's terms: its keys and
// arguments.
type SettlePlan struct {
	Keys []string
	Args []any
}

// SettlePlan lays out the settlement of t at actual tokens for the script;
// ok is false when there is nothing to do in Redis (no lease to give back
// and no tokens to correct).
func (r *Redis) SettlePlan(t Ticket, actual int64) (p SettlePlan, ok bool) {
	if t.n == 0 {
		return SettlePlan{}, false
	}
	delta := actual - t.tokens
	work := false
	for i := 0; i < t.n; i++ {
		c := t.at(i)
		work = work || c.concSlot >= 0 || (c.tokSlot >= 0 && delta != 0)
	}
	if !work {
		return SettlePlan{}, false
	}
	keys := make([]string, 0, t.n)
	args := r.common("settle", delta)
	for i := 0; i < t.n; i++ {
		c := t.at(i)
		keys = append(keys, r.prefix+c.scope)
		args = append(args, c.tokSlot, c.concSlot)
	}
	return SettlePlan{Keys: keys, Args: args}, true
}

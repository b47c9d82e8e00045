package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/admit"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/openai"
)

// DefaultMaxTokens is the output a request that names no max_tokens is
// charged for at admission (tokens per minute, budget holds) until it
// settles to what it really used.
const DefaultMaxTokens = 4096

// admit takes the request's rate limits and budget holds, or answers the
// refusal in the client's format. Authenticate → admit → route: it runs
// after the body is parsed (it needs the prompt estimate and max_tokens)
// and before any deployment is tried.
func (c *call) admit(promptTokens int64) bool {
	a := c.s.opts.Admitter
	if a == nil {
		return true
	}
	out := c.req.MaxTokens
	if out <= 0 {
		out = DefaultMaxTokens
	}
	now := time.Now()
	var worst money.Nanos
	if !c.who.Budget.IsZero() || !c.who.TenantBudget.IsZero() {
		worst = c.worstCost(promptTokens, out, now) // only budgets hold it
	}
	t, ref := a.Admit(c.r.Context(), &admit.Ask{Who: c.who, Tokens: promptTokens + out, WorstCost: worst, Now: now})
	h := c.w.Header()
	if ref != nil {
		c.refused(ref.Code)
		ref.Limits.Write(h)
		if ref.RetryAfter > 0 && h.Get("Retry-After") == "" {
			h.Set("Retry-After", strconv.Itoa(int((ref.RetryAfter+time.Second-1)/time.Second)))
		}
		typ := "rate_limit_error"
		switch ref.Status {
		case http.StatusPaymentRequired:
			typ = "billing_error"
		case http.StatusServiceUnavailable:
			typ = "api_error"
		case http.StatusBadRequest:
			typ = "invalid_request_error"
		}
		c.fail(&openai.Error{Status: ref.Status, Type: typ, Code: ref.Code, Message: ref.Message})
		return false
	}
	if t != nil {
		t.Limits.Headers.Write(h)
	}
	c.ticket = t
	return true
}

// finishAdmission settles the admission with what the request's attempts
// used and cost, as the settlement point priced them.
func (c *call) finishAdmission() {
	if c.ticket != nil {
		c.s.opts.Admitter.Finish(c.r.Context(), c.ticket, c.used.Total(), c.cost)
	}
}

// worstCost is what the request could cost at the dearest deployment of its
// model (fallbacks included) it may be routed to: the amount a budget holds.
func (c *call) worstCost(prompt, out int64, now time.Time) money.Nanos {
	u := wire.Usage{Prompt: prompt, Completion: out}
	dearest := func(m *route.Model, worst money.Nanos) money.Nanos {
		for _, d := range m.Deployments {
			if v, ok := d.Price.At(now); ok {
				worst = max(worst, v.Rates.Cost(u))
			}
		}
		return worst
	}
	// Chain holds the fallbacks only, not the model itself: without it, a
	// model with no fallbacks held nothing and its budgets never refused.
	worst := dearest(c.model, 0)
	for _, m := range c.model.Chain {
		worst = dearest(m, worst)
	}
	return worst
}

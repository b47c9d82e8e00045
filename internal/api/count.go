package api

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/tokens"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/anthropic"
	"github.com/switchyard/switchyard/internal/wire/openai"
)

// countTimeout bounds the wait for a cloud's count: past it the local
// estimate answers, since a count is worth less than a slow answer.
const countTimeout = 2 * time.Second

// Token count sources, named in the x-switchyard-token-count header.
const (
	countFromCloud    = "cloud"    // the cloud that would serve the request counted it
	countFromEstimate = "estimate" // internal/tokens over the request
)

// countTokens serves POST /v1/messages/count_tokens. It routes the request
// as /v1/messages would and asks the first deployment routing picks, when
// its cloud can count (Anthropic, Bedrock, Gemini: provider.Counter), so
// the answer is what that cloud will bill. Otherwise, or when the cloud
// fails or takes longer than countTimeout, it answers a local estimate by
// the same rule the emulators bill with (tokens.Prompt). The
// x-switchyard-token-count header says which, and x-switchyard-deployment
// names the deployment that counted.
func (s *Server) countTokens(w http.ResponseWriter, r *http.Request) {
	c := newCall(s, w, r, wire.Anthropic, provider.Chat)
	w.Header()["Request-Id"] = []string{c.id}
	req, ok := s.readAnthropic(c, true)
	if !ok {
		return
	}
	// A model outside the key's or its tenant's allowlist is unknown here
	// as on /v1/messages: counting must not reach a cloud the key may not.
	if c.model = c.rt.table.Model(req.Model); c.model == nil || !c.who.AllowsModel(c.model.Name) {
		c.fail(modelNotFound(req.Model))
		return
	}
	n, d, e := c.countInCloud(req)
	if e != nil {
		c.fail(e)
		return
	}
	h := w.Header()
	if d != "" {
		h["X-Switchyard-Token-Count"] = []string{countFromCloud}
		h["X-Switchyard-Deployment"] = []string{d}
	} else {
		n = tokens.Prompt(req)
		h["X-Switchyard-Token-Count"] = []string{countFromEstimate}
	}
	writeJSON(w, http.StatusOK, []byte(`{"input_tokens":`+strconv.Itoa(n)+`}`))
}

// countInCloud asks the first deployment routing would choose for req to
// count it, and returns the count and the deployment's name, or no name
// when the estimate must answer. It fails only where /v1/messages would
// refuse the request before trying any deployment (an unknown policy, a
// key that may use none of the model's deployments).
func (c *call) countInCloud(req *wire.Request) (int, string, *openai.Error) {
	cons := c.rt.constraints[c.who.KeyName]
	rreq := route.Request{Model: c.model.Name, PromptTokens: estimate(len(c.body), 0).Prompt, Constraints: cons}
	if v := c.r.Header["X-Switchyard-Route"]; len(v) > 0 {
		rreq.Policy = v[0]
	}
	var dec route.Decision
	if err := c.rt.table.Route(&rreq, &dec); err != nil {
		return 0, "", routeError(err, c.model.Name, rreq.Policy)
	}
	defer dec.Finish(time.Time{})
	cands := dec.Candidates()
	if len(cands) == 0 {
		return 0, "", nil // none available now: /v1/messages would wait; a count need not
	}
	d := cands[0].D
	ctx, cancel := context.WithTimeout(c.r.Context(), countTimeout)
	defer cancel()
	var n int
	var err error
	if bc, ok := d.Provider.(provider.BodyCounter); ok && d.Provider.Format() == c.in {
		// The client's own body, as /v1/messages passes it through.
		var body []byte
		if body, err = anthropic.RewriteModel(c.body, d.Native); err == nil {
			n, err = bc.CountTokensBody(ctx, body)
		}
	} else if counter, ok := d.Provider.(provider.Counter); ok {
		n, err = counter.CountTokens(ctx, d.Native, req)
	} else {
		return 0, "", nil
	}
	if err != nil {
		if c.s.log.Enabled(c.r.Context(), slog.LevelDebug) {
			c.s.log.Debug("count_tokens: the cloud did not count; estimating", "request_id", c.id, "deployment", d.Name, "reason", err.Error())
		}
		return 0, "", nil
	}
	return n, d.Name, nil
}

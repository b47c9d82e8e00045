package api

import (
	"errors"
	"time"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/anthropic"
	"github.com/switchyard/switchyard/internal/wire/openai"
)

// translate builds d's request body from the canonical form. A request the
// deployment's format cannot express is a failure of that deployment only
// (another may speak the client's format); a request that is malformed in a
// way only decoding noticed is the client's, answered at once.
func (c *call) translate(d *route.Deployment) (body []byte, f *failure, done bool) {
	pf := d.Provider.Format()
	cd := codecFor(pf)
	if cd == nil || c.op != provider.Chat {
		return nil, &failure{deployment: d.Name, reason: pf.String() + " deployments serve chat only",
			unsupported: &wire.Unsupported{Format: pf, Field: "model", Reason: c.op.String() + " is served only by OpenAI-format deployments"}}, false
	}
	req, err := c.canonical()
	if err != nil {
		c.fail(badRequest(err))
		return nil, nil, true
	}
	req.Model = d.Native
	body, err = cd.encodeRequest(req)
	if err != nil {
		var u *wire.Unsupported
		if errors.As(err, &u) {
			return nil, &failure{deployment: d.Name, reason: u.Error(), unsupported: u}, false
		}
		return nil, &failure{deployment: d.Name, reason: "could not translate the request: " + err.Error()}, false
	}
	return body, nil, false
}

// newStreamEncoder returns the encoder of the client's stream format, naming
// model, the public name of the model that answers.
func (c *call) newStreamEncoder(model string) wire.StreamEncoder {
	if c.in == wire.Anthropic {
		return anthropic.NewStreamEncoder("msg_"+c.id[len("req_"):], model)
	}
	return openai.NewStreamEncoder("chatcmpl-"+c.id[len("req_"):], model, time.Now().Unix(), c.req.IncludeUsage)
}

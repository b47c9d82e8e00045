package api

import (
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/anthropic"
)

// estimate guesses usage from sizes: about four bytes of text per token. It
// is the routing engine's prompt estimate, made before the body is decoded.
func estimate(promptBytes, completionBytes int) wire.Usage {
	return wire.Usage{Prompt: int64(promptBytes+3) / 4, Completion: int64(completionBytes+3) / 4}
}

// promptEstimate estimates the prompt tokens of the request when a provider
// reported none (a stream that broke before its usage): from the decoded
// request's text where it decodes, else from the body's size. It runs only
// on that path.
func (c *call) promptEstimate() int64 {
	if req, err := c.canonical(); err == nil {
		return int64(anthropic.CountTokens(req))
	}
	return estimate(len(c.body), 0).Prompt
}

// textCounter estimates the tokens of the content delivered to the client,
// fed as it goes out.
type textCounter struct{ n int64 }

func (t *textCounter) write(s string)      { t.n += int64(len(s)) }
func (t *textCounter) writeBytes(b []byte) { t.n += int64(len(b)) }

// writeRaw counts a JSON string value as it appears in the JSON, quotes
// excluded.
func (t *textCounter) writeRaw(raw string) {
	if len(raw) >= 2 {
		t.n += int64(len(raw) - 2)
	}
}

func (t *textCounter) tokens() int64 { return (t.n + 3) / 4 }

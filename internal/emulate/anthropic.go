package emulate

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// anthropicAPI serves Anthropic's Messages API (api.anthropic.com):
//
//	POST /v1/messages               answers, whole or streamed (SSE)
//	POST /v1/messages/count_tokens  {"input_tokens":N}: checked like a message, not billed
//
// Query strings are ignored (the SDK's beta client adds ?beta=true).
// Requests carry the key in x-api-key, or as an Authorization bearer token,
// and must carry anthropic-version: 2023-01-01, 2023-06-01, or 2026-10-21,
// which the v2 Go SDK sends; all are served alike. Validation follows the
// real API: unknown members are refused ("Extra inputs are not permitted"),
// max_tokens is required, the first turn is the user's, every tool_use is
// answered by a tool_result in the next turn and every tool_result answers
// one, tool blocks need tools defined, text blocks are non-empty, and a
// final assistant message does not end in whitespace. Consecutive messages
// of one role make one turn, as the API combines them, and system-role
// messages (text blocks only) are accepted anywhere and belong to no turn.
//
// # Tokens
//
// As in the package rule, a text's tokens are its o200k_base tokens, and:
//
//   - A message's text, system-role messages included, is the concatenation,
//     without separators, of its text blocks (or its string content), and
//     for each tool_use block its name and then its input as compact JSON,
//     and for each tool_result block its content's text and then its
//     tool_use_id. The system prompt's text is its string, or its blocks'
//     text concatenated.
//   - Prompt tokens = 3 + (4 + tokens of the system text, when there is a
//     system prompt) + Σ over messages (4 + tokens of its text + 85 per image
//     block, in tool results too) + tokens of the compact JSON of the tools
//     array when present. Documents, thinking blocks and server-tool blocks
//     count nothing.
//   - The conversation text, which seeds the answer, is the system text and
//     then every message's text. A conversation an OpenAI client would send
//     as the same messages (tool call arguments in compact JSON, tool call
//     ids kept) has the same text, so it gets the same words.
//   - usage.input_tokens is the prompt tokens less what was read from or
//     written to the prompt cache; Billed.InputTokens counts the whole prompt
//     (input + cache_creation + cache_read), as OpenAI's prompt_tokens would.
//
// # Answers
//
// Answers follow the package rules, with one difference: max_tokens is
// required, so it cannot say how long the answer is. The model answers with
// Knobs.OutputTokens words; when max_tokens is smaller, the answer is cut to
// max_tokens words and stop_reason is "max_tokens", else it is "end_turn".
// stop_sequences cut the text before the earliest match (the first listed
// wins a tie) with stop_reason "stop_sequence" and stop_sequence set. Tools:
// tool_choice "any" calls the first client tool and {"type":"tool"} the
// named one; "auto" (or none given) calls the first tool whose name the last
// user message's text contains, ignoring case, where text after the last
// tool_result counts and a message of tool results only gets words; "none"
// never calls. A call is one tool_use block (id "toolu_01" and 22
// characters) with input generated from input_schema, and stop_reason
// "tool_use". Server tools are accepted and never called. output_config
// (or output_format) json_schema answers a value of the schema as text,
// never cut. Thinking is validated and ignored: answers have no thinking
// blocks.
//
// # Prompt caching
//
// A cache_control block is a breakpoint (top-level cache_control marks the
// last block). A request reads from the cache the longest prefix, tools then
// system then messages, that an answered request wrote before, checking each
// breakpoint and the 20 block boundaries before it, and writes the prompt
// from there to its last breakpoint, split by ttl into usage.cache_creation.
// A prefix's tokens are the prompt tokens of a request that would end with
// its last block. Entries live for their ttl (5m or 1h), refreshed when
// read; Reset empties the cache. There is no minimum cacheable length.
//
// # Faults
//
// Knobs apply as for every cloud. Injected server errors alternate between
// 500 api_error and 529 overloaded_error, starting with 500 (the emulator's
// Errors count decides: odd is 500, even 529). Throttles are 429
// rate_limit_error with retry-after in whole seconds; the RPM quota's state
// is in anthropic-ratelimit-requests-* headers on every response, and an
// injected throttle also sends anthropic-ratelimit-input-tokens-* headers
// with remaining 0. Every response has a request-id header, also echoed in
// error bodies.
type anthropicAPI struct {
	e     *Emulator
	cache anthropicCache
}

func newAnthropicAPI(e *Emulator) http.Handler { return &anthropicAPI{e: e} }

// anthropicOrganization is the organization every response claims.
var anthropicOrganization = []string{"0f1d2c3b-4a59-4687-9a1b-5c0d7e3f2a64"}

// anthropicVersions are the anthropic-version values the API accepts.
// The v2 Go SDK sends 2026-10-21, earlier SDKs 2023-06-01; the emulator
// treats them alike.
var anthropicVersions = map[string]bool{"2023-01-01": true, "2023-06-01": true, "2026-10-21": true}

// anthropicInputTokensLimit is the input-tokens-per-minute limit an injected
// throttle claims was exceeded.
const anthropicInputTokensLimit = 2_000_000

func (a *anthropicAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	post := r.Method == http.MethodPost
	switch {
	case r.URL.Path == "/v1/messages" && post:
		a.serve(w, r, false)
	case r.URL.Path == "/v1/messages/count_tokens" && post:
		a.serve(w, r, true)
	default:
		anthropicHeader(w.Header(), a.e.nextID())
		writeAnthropicError(w, &anthropicError{status: http.StatusNotFound, typ: "not_found_error", message: "Not Found"})
	}
}

func anthropicHeader(h http.Header, id uint64) {
	h.Set("Request-Id", string(appendAnthropicID(make([]byte, 0, 32), "req_01", id)))
	h["Anthropic-Organization-Id"] = anthropicOrganization
}

// anthropicCall is one request to the Messages API, from its arrival to its billing.
type anthropicCall struct {
	a     *anthropicAPI
	e     *Emulator
	k     *Knobs
	w     http.ResponseWriter
	r     *http.Request
	start time.Time
	id    uint64
	model string
}

func (a *anthropicAPI) serve(w http.ResponseWriter, r *http.Request, count bool) {
	c := &anthropicCall{a: a, e: a.e, k: a.e.knobs.Load(), w: w, r: r, start: time.Now(), id: a.e.nextID()}
	anthropicHeader(w.Header(), c.id)
	if !count {
		c.e.books.received()
	}
	if !c.authorize() {
		return
	}
	if v := r.Header.Get("Anthropic-Version"); v == "" {
		writeAnthropicError(w, anthropicInvalid("anthropic-version: header is required"))
		return
	} else if !anthropicVersions[v] {
		writeAnthropicError(w, anthropicInvalid("anthropic-version: %q is not a valid version", v))
		return
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody)); err != nil {
		release(buf)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeAnthropicError(w, &anthropicError{status: http.StatusRequestEntityTooLarge, typ: "request_too_large",
				message: "Request exceeds the maximum allowed number of bytes. The maximum request size is " +
					strconv.Itoa(maxBody) + " bytes."})
		} else {
			writeAnthropicError(w, anthropicInvalid("could not read the request body: %v", err))
		}
		return
	}
	p, err := decodeAnthropic(buf.Bytes(), count)
	release(buf)
	if err != nil {
		writeAnthropicError(w, err)
		return
	}
	if count {
		body := anthropicCountBody(p)
		w.Header()["Content-Type"] = jsonContent
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		return
	}
	c.model = p.model
	v, ok := c.admit(p.stream)
	if !ok {
		return
	}
	rep := c.reply(p)
	defer putJob(rep.job)
	if p.stream {
		c.stream(p, rep, v.disconnect)
	} else {
		c.complete(p, rep)
	}
}

// authorize checks the request's key when the knobs require one, answering
// 401 itself. It reports whether to go on.
func (c *anthropicCall) authorize() bool {
	want := c.k.APIKey
	if want == "" {
		return true
	}
	got, present := c.r.Header.Get("X-Api-Key"), true
	if got == "" {
		got, present = bearer(c.r)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 {
		return true
	}
	msg := "invalid x-api-key"
	if !present {
		msg = "x-api-key header is required"
	}
	writeAnthropicError(c.w, &anthropicError{status: http.StatusUnauthorized, typ: "authentication_error", message: msg})
	return false
}

// admit applies the quota and the injected faults, answering refusals
// itself. It reports whether the request goes on to be answered.
func (c *anthropicCall) admit(stream bool) (verdict, bool) {
	now := time.Now()
	v := c.e.admit(c.k, stream, now)
	h := c.w.Header()
	if v.limit.limit > 0 {
		h.Set("Anthropic-Ratelimit-Requests-Limit", strconv.Itoa(v.limit.limit))
		h.Set("Anthropic-Ratelimit-Requests-Remaining", strconv.Itoa(v.limit.remaining))
		h.Set("Anthropic-Ratelimit-Requests-Reset", anthropicReset(now.Add(v.limit.reset)))
	}
	switch v.fault {
	case faultQuota, faultThrottle:
		c.e.books.throttled()
		secs, _ := retryAfter(v.retryAfter)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
		what := strconv.Itoa(v.limit.limit) + " requests per minute"
		if v.fault == faultThrottle {
			h.Set("Anthropic-Ratelimit-Input-Tokens-Limit", strconv.Itoa(anthropicInputTokensLimit))
			h.Set("Anthropic-Ratelimit-Input-Tokens-Remaining", "0")
			h.Set("Anthropic-Ratelimit-Input-Tokens-Reset", anthropicReset(now.Add(max(v.retryAfter, 0))))
			what = "2,000,000 input tokens per minute"
		}
		writeAnthropicError(c.w, &anthropicError{status: http.StatusTooManyRequests, typ: "rate_limit_error",
			message: "This request would exceed your organization's rate limit of " + what +
				" (org: " + anthropicOrganization[0] + ", model: " + c.model + "). For details, refer to: " +
				"https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. " +
				"Please reduce the prompt length or the maximum tokens requested, or try again later."})
		return v, false
	case faultServer:
		if c.e.books.overloadedError() {
			writeAnthropicError(c.w, anthropicOverloaded())
		} else {
			writeAnthropicError(c.w, anthropicServerError())
		}
		return v, false
	}
	return v, true
}

// anthropicReset formats a rate-limit reset time as Anthropic does: UTC, whole
// seconds, rounded up so that a client waiting until then is never early.
func anthropicReset(t time.Time) string {
	return t.Add(time.Second - 1).Truncate(time.Second).UTC().Format(time.RFC3339)
}

// bill records the answer, its usage report about to go out, and lets the
// prompt cache keep what it wrote.
func (c *anthropicCall) bill(p *anthropicPrompt, out int) {
	c.e.books.bill(c.model, p.tokens, out)
	c.a.cache.store(&p.cache, c.start, c.e.books.anthropicEpoch())
}

// billUnreported is bill for an answer whose usage report never goes out.
func (c *anthropicCall) billUnreported(p *anthropicPrompt, out int) {
	c.e.books.billUnreported(c.model, p.tokens, out)
	c.a.cache.store(&p.cache, c.start, c.e.books.anthropicEpoch())
}

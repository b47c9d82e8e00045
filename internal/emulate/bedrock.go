package emulate

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// The Bedrock emulator speaks AWS Bedrock Runtime's Converse API:
//
//	POST /model/{modelId}/converse         Converse: JSON in, JSON out
//	POST /model/{modelId}/converse-stream  ConverseStream: JSON in, application/vnd.amazon.eventstream out
//	POST /model/{modelId}/count-tokens     CountTokens, for Converse input
//
// modelId is any id, escaped as a path label ("anthropic.claude-sonnet-4-5-20250929-v1%3A0"),
// and is what is billed. It follows the package's rules (see the package
// comment) with Bedrock's words for them:
//
// # Tokens
//
//   - A Converse message's text is the concatenation, without separators, of
//     its content blocks' texts: a text block's text; a toolUse block's name
//     and then the compact JSON of its input; a toolResult block's content
//     (the text of its text blocks and the compact JSON of its json blocks)
//     and then its toolUseId; a reasoningContent block's reasoning text.
//     Documents, video, audio, cache points, guard content and the other
//     blocks count nothing.
//   - The system text is the concatenation of the system array's text blocks.
//   - Prompt tokens = 3 + (4 + tokens of the system text, when the system
//     array has a text block) + Σ over messages (4 + tokens of its text) +
//     tokens of the compact JSON of toolConfig.tools when present (the array
//     as sent) + 85 per image block, in messages or in tool results. An
//     OpenAI chat request whose system message comes first and whose other
//     messages map one to one onto Converse messages therefore gets the
//     same words as from the OpenAI emulator (see Answers) and, without
//     tools, the same prompt tokens.
//   - CountTokens answers the prompt tokens Converse would bill.
//
// # Answers
//
//   - The conversation text, which seeds the answer as in the package's rule,
//     is the system text followed by every message's text.
//   - The length is inferenceConfig.maxTokens, else Knobs.OutputTokens;
//     stopReason is "max_tokens" when the request set maxTokens, else
//     "end_turn". inferenceConfig.stopSequences cut as OpenAI's stop does,
//     with stopReason "stop_sequence".
//   - toolConfig.toolChoice {"any":{}} calls the first tool, {"tool":{"name"}}
//     that tool; {"auto":{}}, or no toolChoice, calls a tool iff the last
//     message is a user message whose text blocks contain the tool's name,
//     ignoring case. A last user message holding a toolResult always gets
//     text. The answer is one toolUse block whose input is generated from
//     the tool's inputSchema.json, with stopReason "tool_use" and a
//     toolUseId of "tooluse_" and 22 letters and digits. Only toolSpec tools
//     are called.
//   - outputConfig.textFormat json_schema answers, in a text block, JSON
//     generated from the schema, counted by the tokenizer, never cut.
//   - An empty text (a stop sequence at the very start) is no content block.
//   - Streams: messageStart; for a tool use, contentBlockStart naming it and
//     contentBlockDelta events with about eight bytes of its input each; for
//     text, contentBlockDelta events of one word each (the first bare, the
//     others with a leading space), or about four bytes of JSON; then
//     contentBlockStop, messageStop with the stopReason, and metadata with
//     the usage and metrics. Every event but metadata carries Bedrock's
//     padding member "p", which clients must ignore.
//
// # Errors and auth
//
// Errors are AWS's: the exception in X-Amzn-ErrorType and {"message"} in the
// body, and X-Amzn-RequestId on every answer. Validation: 400
// ValidationException naming the member, as Bedrock checks them: member
// names are case-sensitive (encoding/json's are not, so a client that sends
// "Messages" would otherwise pass here and fail there), unions set exactly
// one member, identifiers match their patterns, and the conversation rules
// hold (first message from the user, roles alternating, no blank text,
// toolConfig present when tool blocks are, tool inputs and json results are
// objects, every toolUse answered by a toolResult in the next message).
// Faults: 429 ThrottlingException for the quota and ThrottleRate (Bedrock
// sends no Retry-After), 500 InternalServerException for ErrorRate;
// DisconnectRate resets the TCP connection half-way through a stream (see
// resetConnection for why a reset). With Knobs.APIKey or
// Knobs.AWSAccessKeyID set, requests must carry that API key as a bearer
// token or a SigV4 signature by that key pair, which is verified by signing
// the request as received again; failures are 403s: AccessDeniedException
// (no Authorization; a wrong API key), UnrecognizedClientException (an
// unknown access key or session token), InvalidSignatureException (a wrong
// signature, scope, or an X-Amz-Date more than five minutes off) and
// IncompleteSignatureException (a malformed header). Clients that sign
// User-Agent, Expect, X-Amzn-Trace-Id or Transfer-Encoding are refused,
// since the SDK's signer, which the check uses, never signs them.

// bedrockAPI serves Bedrock Runtime's Converse operations.
type bedrockAPI struct{ e *Emulator }

func newBedrockAPI(e *Emulator) http.Handler { return bedrockAPI{e} }

// The operations, by the last segment of their path.
const (
	opConverse       = "converse"
	opConverseStream = "converse-stream"
	opCountTokens    = "count-tokens"
)

func (a bedrockAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	model, op := bedrockRoute(r.URL.Path)
	c := &bedrockCall{e: a.e, k: a.e.knobs.Load(), w: w, r: r, start: time.Now(), id: a.e.nextID(), model: model}
	w.Header().Set("X-Amzn-Requestid", uuid(c.id))
	if r.Method != http.MethodPost {
		op = ""
	}
	switch op {
	case opConverse:
		c.converse(false)
	case opConverseStream:
		c.converse(true)
	case opCountTokens:
		c.countTokens()
	default:
		c.fail(bedrockUnknownOperation(r))
	}
}

// bedrockRoute splits /model/{modelId}/{operation}. The model id is the
// decoded path label, which may itself hold '/' (an ARN), so the operation is
// the last segment.
func bedrockRoute(path string) (model, op string) {
	rest, ok := strings.CutPrefix(path, "/model/")
	i := strings.LastIndexByte(rest, '/')
	if !ok || i <= 0 {
		return "", ""
	}
	return rest[:i], rest[i+1:]
}

// bedrockCall is one request to a Bedrock operation.
type bedrockCall struct {
	e     *Emulator
	k     *Knobs
	w     http.ResponseWriter
	r     *http.Request
	start time.Time
	id    uint64
	model string
}

func (c *bedrockCall) fail(err *bedrockError) { writeBedrockError(c.w, err) }

// readBody reads the whole body, which a signature covers. The caller must
// release the buffer.
func (c *bedrockCall) readBody() (*bytes.Buffer, *bedrockError) {
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(c.w, c.r.Body, maxBody)); err != nil {
		release(buf)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, bedrockInvalid("The request body is too large: this emulator accepts at most %d bytes.", maxBody)
		}
		return nil, awsMalformed("the request body could not be read (" + err.Error() + ")")
	}
	return buf, nil
}

// begin reads and authenticates a request and decodes its Converse input. On
// failure it has answered, and returns nil.
func (c *bedrockCall) begin(decode func([]byte) (*converse, *bedrockError)) *converse {
	buf, err := c.readBody()
	if err != nil {
		c.fail(err)
		return nil
	}
	defer release(buf) // decoding copies what it keeps
	if err := c.authenticate(buf.Bytes()); err != nil {
		c.fail(err)
		return nil
	}
	cv, err := decode(buf.Bytes())
	if err != nil {
		c.fail(err)
		return nil
	}
	return cv
}

// converse answers Converse, or ConverseStream when stream is set.
func (c *bedrockCall) converse(stream bool) {
	c.e.books.received()
	cv := c.begin(func(body []byte) (*converse, *bedrockError) { return decodeConverse(body, c.model) })
	if cv == nil {
		return
	}
	v, ok := c.admit(stream)
	if !ok {
		return
	}
	job := getJob(1)
	defer putJob(job)
	a := &job.answers[0]
	reason := cv.answer(a, c.k.OutputTokens)
	if stream {
		c.streamConverse(cv, job, reason, v.disconnect)
	} else {
		c.completeConverse(cv, job, reason)
	}
}

// admit applies the quota and the injected faults, answering refusals itself.
func (c *bedrockCall) admit(stream bool) (verdict, bool) {
	v := c.e.admit(c.k, stream, time.Now())
	switch v.fault {
	case faultQuota, faultThrottle:
		c.e.books.throttled()
		c.fail(bedrockThrottled())
		return v, false
	case faultServer:
		c.e.books.errored()
		c.fail(bedrockServerError())
		return v, false
	}
	return v, true
}

// countTokensRequest is CountTokens' input: Converse's, or InvokeModel's.
type countTokensRequest struct {
	Input *struct {
		Converse    json.RawMessage `json:"converse"`
		InvokeModel json.RawMessage `json:"invokeModel"`
	} `json:"input"`
}

// countTokens answers CountTokens for Converse input with the prompt tokens
// Converse would bill. It is free: not counted as received, not admitted
// and not billed.
func (c *bedrockCall) countTokens() {
	cv := c.begin(func(body []byte) (*converse, *bedrockError) {
		var req countTokensRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, converseJSONError(err, "")
		}
		if err := checkMemberCase(body, reflect.TypeFor[countTokensRequest](), ""); err != nil {
			return nil, err
		}
		if req.Input == nil {
			return nil, awsNotNull("input")
		}
		if n := rawSet(req.Input.Converse) + rawSet(req.Input.InvokeModel); n != 1 {
			return nil, awsUnionError("input", n)
		}
		if rawSet(req.Input.InvokeModel) == 1 {
			return nil, bedrockInvalid("This emulator counts the tokens of converse input only; send input.converse.")
		}
		return decodeConverse(req.Input.Converse, c.model)
	})
	if cv == nil {
		return
	}
	b := append(make([]byte, 0, 32), `{"inputTokens":`...)
	b = appendInt(b, cv.tokens)
	b = append(b, '}')
	h := c.w.Header()
	h["Content-Type"] = jsonContent
	h.Set("Content-Length", strconv.Itoa(len(b)))
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(b)
}

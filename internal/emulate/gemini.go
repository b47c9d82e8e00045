package emulate

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// geminiAPI serves the Gemini Developer API (generativelanguage.googleapis.com),
// under /v1beta/ and /v1/ alike:
//
//	POST /v1beta/models/{model}:generateContent
//	POST /v1beta/models/{model}:streamGenerateContent?alt=sse   SSE, "data: …\r\n\r\n", no terminator
//	POST /v1beta/models/{model}:streamGenerateContent           without alt=sse: one JSON array, written as it grows
//	POST /v1beta/models/{model}:countTokens                     {"totalTokens":N,…}: not billed
//
// The key comes in x-goog-api-key or the key query parameter. A wrong key is
// a 400 INVALID_ARGUMENT with ErrorInfo reason API_KEY_INVALID, no key a 403
// PERMISSION_DENIED, and a key sent as a bearer token a 401 UNAUTHENTICATED,
// as Google answers. Requests are parsed the way Google parses JSON into
// protocol buffers: lowerCamel or snake_case names, unknown names refused
// (in parameters and responseSchema too, which are Gemini's OpenAPI-subset
// Schema, with upper-case types, no additionalProperties or $ref, non-empty
// properties for OBJECT and required names that exist), null meaning unset.
// Contents are checked as Gemini does: roles user or model, non-empty parts
// with exactly one data member each, a function call turn only after a user
// turn, and the turn after it holding exactly as many function responses.
//
// # Tokens
//
// As in the package rule, a text's tokens are its o200k_base tokens, and:
//
//   - A content's text is the concatenation, without separators, of its
//     text parts (thought parts excepted), and for each functionCall its
//     name and then its args as compact JSON, and for each functionResponse
//     its response as compact JSON and then its name. systemInstruction's
//     text is its text parts concatenated.
//   - promptTokenCount = 3 + (4 + tokens of the system text, when
//     systemInstruction has parts) + Σ over contents (4 + tokens of its
//     text + 85 per image part, an inlineData or fileData whose MIME type
//     is image/*) + tokens of the compact JSON of the tools array when
//     present. Other media, code and thoughts count nothing.
//     promptTokensDetails splits the count into TEXT and IMAGE.
//   - The conversation text, which seeds the answer, is the system text and
//     then every content's text; a conversation of text only gets the words
//     an OpenAI client sending the same messages gets.
//   - candidatesTokenCount follows the package rule, summed over the
//     candidates; totalTokenCount is their sum with promptTokenCount. There
//     are no thoughts and no cached tokens.
//
// # Answers
//
// Answers follow the package rules: the length is maxOutputTokens, else
// Knobs.OutputTokens, with finishReason MAX_TOKENS when the request set a
// maximum and STOP otherwise; stopSequences (at most 5) cut the text with
// STOP; candidateCount (1 to 8) gives that many candidates. responseMimeType
// application/json answers {"answer":"<words>"}, or with responseSchema or
// responseJsonSchema a value of the schema; text/x.enum with a schema
// answers the bare value. Tools: functionCallingConfig mode ANY calls the
// first declared function (of allowedFunctionNames when given), NONE never
// calls, and AUTO, VALIDATED or no config call the first function the last
// user content's text names, ignoring case, where text after the last
// functionResponse counts and a content of function responses only gets
// words; allowedFunctionNames restricts every mode. A call is one
// functionCall part, with an id ("call_" and 24 hex digits), args generated
// from parameters or parametersJsonSchema, and a thoughtSignature; its
// candidate finishes with STOP. A text answer with no words has a content
// with a role and no parts.
//
// Streams carry one chunk per word (JSON text in pieces of about four
// bytes), a function call whole in one chunk, and each candidate's
// finishReason on its last chunk. Every chunk has usageMetadata with the
// counts so far, so the last one has the final counts, plus modelVersion
// (the model in the path) and responseId.
//
// # Faults
//
// Knobs apply as for every cloud. Throttles, of the RPM quota or injected,
// are 429 RESOURCE_EXHAUSTED with QuotaFailure, Help and RetryInfo details;
// the wait is only in RetryInfo.retryDelay ("2.5s"), as Google sends no
// retry-after header. Injected server errors alternate between 500 INTERNAL
// and 503 UNAVAILABLE, starting with 500 (the emulator's Errors count
// decides: odd is 500, even 503).
type geminiAPI struct{ e *Emulator }

func newGeminiAPI(e *Emulator) http.Handler { return geminiAPI{e} }

func (a geminiAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1beta/")
	if !ok {
		rest, ok = strings.CutPrefix(r.URL.Path, "/v1/")
	}
	if ok && r.Method == http.MethodPost {
		if name, ok := strings.CutPrefix(rest, "models/"); ok {
			if i := strings.LastIndexByte(name, ':'); i > 0 {
				switch method := name[i+1:]; method {
				case "generateContent", "streamGenerateContent", "countTokens":
					a.serve(w, r, name[:i], method)
					return
				}
			}
		}
	}
	writeGeminiError(w, &geminiError{code: http.StatusNotFound, status: "NOT_FOUND",
		message: "Method not found: " + r.Method + " " + r.URL.Path})
}

// geminiCall is one request to a model, from its arrival to its billing.
type geminiCall struct {
	e      *Emulator
	k      *Knobs
	w      http.ResponseWriter
	r      *http.Request
	start  time.Time
	id     uint64
	model  string
	method string
}

// geminiCountBody renders what a countTokens answer reports: the prompt tokens
// of the request that would be sent.
func geminiCountBody(p *geminiPrompt) []byte {
	b := append(make([]byte, 0, 96), `{"totalTokens":`...)
	b = appendInt(b, p.tokens)
	b = append(b, ',')
	b = p.appendPromptDetails(b)
	return append(b, "}\n"...)
}

func (a geminiAPI) serve(w http.ResponseWriter, r *http.Request, model, method string) {
	c := &geminiCall{e: a.e, k: a.e.knobs.Load(), w: w, r: r, start: time.Now(), id: a.e.nextID(),
		model: model, method: method}
	count := method == "countTokens"
	if !count {
		c.e.books.received()
	}
	if !c.authorize() {
		return
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody)); err != nil {
		release(buf)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeGeminiError(w, &geminiError{code: http.StatusRequestEntityTooLarge, status: "INVALID_ARGUMENT",
				message: "Request payload size exceeds the limit: " + strconv.Itoa(maxBody) + " bytes."})
		} else {
			writeGeminiError(w, geminiInvalid("could not read the request body: %v", err))
		}
		return
	}
	p, err := decodeGemini(buf.Bytes(), model, count)
	release(buf)
	if err != nil {
		writeGeminiError(w, err)
		return
	}
	if count {
		c.header(geminiJSON)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(geminiCountBody(p))
		return
	}
	stream := method == "streamGenerateContent"
	v, ok := c.admit(stream)
	if !ok {
		return
	}
	job := getJob(p.n)
	defer putJob(job)
	for i := range job.answers {
		p.generate(&job.answers[i], i, c.k.OutputTokens)
		if p.enum {
			geminiEnum(&job.answers[i])
		}
	}
	if stream {
		c.stream(p, job, r.URL.Query().Get("alt") == "sse", v.disconnect)
	} else {
		c.complete(p, job)
	}
}

// authorize checks the request's key when the knobs require one, answering
// itself as Google does. It reports whether to go on.
func (c *geminiCall) authorize() bool {
	want := c.k.APIKey
	if want == "" {
		return true
	}
	got := c.r.Header.Get("X-Goog-Api-Key")
	if got == "" {
		got = c.r.URL.Query().Get("key")
	}
	switch {
	case got != "":
		if subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 {
			return true
		}
		writeGeminiError(c.w, geminiKeyInvalid())
	case c.r.Header.Get("Authorization") != "":
		writeGeminiError(c.w, geminiBadToken())
	default:
		writeGeminiError(c.w, geminiUnregistered())
	}
	return false
}

// admit applies the quota and the injected faults, answering refusals
// itself. It reports whether the request goes on to be answered.
func (c *geminiCall) admit(stream bool) (verdict, bool) {
	v := c.e.admit(c.k, stream, time.Now())
	switch v.fault {
	case faultQuota:
		c.e.books.throttled()
		writeGeminiError(c.w, geminiExhausted(c.model, "generativelanguage.googleapis.com/generate_content_paid_tier_requests",
			"GenerateRequestsPerMinutePerProjectPerModel", v.limit.limit, v.retryAfter))
		return v, false
	case faultThrottle:
		c.e.books.throttled()
		writeGeminiError(c.w, geminiExhausted(c.model, "generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count",
			"GenerateContentPaidTierInputTokensPerModelPerMinute", 4_000_000, v.retryAfter))
		return v, false
	case faultServer:
		if c.e.books.overloadedError() {
			writeGeminiError(c.w, geminiUnavailable())
		} else {
			writeGeminiError(c.w, geminiServerError())
		}
		return v, false
	}
	return v, true
}

// header sets the headers of a successful answer, just before they go out.
func (c *geminiCall) header(contentType []string) {
	h := c.w.Header()
	h["Content-Type"] = contentType
	h.Set("Server-Timing", "gfet4t7; dur="+strconv.FormatInt(time.Since(c.start).Milliseconds(), 10))
}

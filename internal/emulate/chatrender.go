package emulate

import (
	"io"
	"net/http"
	"unicode/utf8"
)

// Wire constants of OpenAI-compatible chat answers.
const (
	systemFingerprint = "fp_5e1d0c3a7b"

	usageDetails = `,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},` +
		`"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,` +
		`"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`

	// Azure's content-filter annotations for a prompt and a completion that
	// passed every filter.
	azurePromptFilters = `[{"prompt_index":0,"content_filter_results":{` +
		`"hate":{"filtered":false,"severity":"safe"},` +
		`"jailbreak":{"filtered":false,"detected":false},` +
		`"self_harm":{"filtered":false,"severity":"safe"},` +
		`"sexual":{"filtered":false,"severity":"safe"},` +
		`"violence":{"filtered":false,"severity":"safe"}}}]`
	azureCompletionFilters = `{"hate":{"filtered":false,"severity":"safe"},` +
		`"protected_material_code":{"filtered":false,"detected":false},` +
		`"protected_material_text":{"filtered":false,"detected":false},` +
		`"self_harm":{"filtered":false,"severity":"safe"},` +
		`"sexual":{"filtered":false,"severity":"safe"},` +
		`"violence":{"filtered":false,"severity":"safe"}}`

	// Azure opens a stream with the prompt's filter results in a chunk that
	// is empty otherwise; clients that index choices[0] trip over it.
	azurePreamble = `data: {"id":"","object":"","created":0,"model":"","choices":[],` +
		`"prompt_filter_results":` + azurePromptFilters + "}\n\n"

	sseDone = "data: [DONE]\n\n"
)

// appendResponseID appends prefix and 24 hex digits derived from id.
func appendResponseID(b []byte, prefix string, id uint64) []byte {
	b = append(b, prefix...)
	b = appendHex(b, id)
	n := len(b) + 8
	return appendHex(b, mix64(id))[:n]
}

func appendUsage(b []byte, in, out int) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = appendInt(b, in)
	b = append(b, `,"completion_tokens":`...)
	b = appendInt(b, out)
	b = append(b, `,"total_tokens":`...)
	b = appendInt(b, in+out)
	return append(b, usageDetails...)
}

// appendCompletion renders a whole chat.completion.
func (c *call) appendCompletion(b []byte, p *prompt, answers []answer) []byte {
	az := c.d.filters()
	b = append(b, `{"id":"`...)
	b = appendResponseID(b, "chatcmpl-", c.id)
	b = append(b, `","object":"chat.completion","created":`...)
	b = appendInt(b, int(c.start.Unix()))
	b = append(b, `,"model":`...)
	b = appendString(b, c.model)
	b = append(b, `,"choices":[`...)
	out := 0
	for i := range answers {
		a := &answers[i]
		out += a.tokens
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"index":`...)
		b = appendInt(b, i)
		b = append(b, `,"message":{"role":"assistant","content":`...)
		if a.kind == answerTool {
			b = append(b, `null,"refusal":null,"annotations":[],"tool_calls":[{"id":"`...)
			b = append(b, a.callID...)
			b = append(b, `","type":"function","function":{"name":`...)
			b = appendString(b, a.name)
			b = append(b, `,"arguments":`...)
			b = appendString(b, a.body)
			b = append(b, `}}]`...)
		} else {
			b = appendString(b, a.body)
			b = append(b, `,"refusal":null,"annotations":[]`...)
		}
		b = append(b, `},"logprobs":null,"finish_reason":"`...)
		b = append(b, a.finish...)
		b = append(b, '"')
		if az {
			b = append(b, `,"content_filter_results":`...)
			b = append(b, azureCompletionFilters...)
		}
		b = append(b, '}')
	}
	b = append(b, `],"usage":`...)
	b = appendUsage(b, p.tokens, out)
	if az {
		b = append(b, `,"prompt_filter_results":`...)
		b = append(b, azurePromptFilters...)
	} else {
		b = append(b, `,"service_tier":"default"`...)
	}
	b = append(b, `,"system_fingerprint":"`+systemFingerprint+`"}`...)
	return append(b, '\n')
}

// chunker writes one chat completion stream. Every chunk of a stream shares
// its id, created time and model, so their JSON up to the choices is rendered
// once; each event then appends its choice to a copy of that head in a
// buffer the stream reuses, and is flushed at once.
type chunker struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	buf  []byte
	head int    // buf[:head] is the shared beginning of every chunk
	tail string // what closes an ordinary chunk after its choices
	az   bool
}

func (c *call) newChunker(p *prompt, job *chatJob) *chunker {
	h := c.w.Header()
	h["Content-Type"] = sseContent
	h["Cache-Control"] = noCache
	c.processed()
	c.w.WriteHeader(http.StatusOK)

	b := append(job.out[:0], `data: {"id":"`...)
	b = appendResponseID(b, "chatcmpl-", c.id)
	b = append(b, `","object":"chat.completion.chunk","created":`...)
	b = appendInt(b, int(c.start.Unix()))
	b = append(b, `,"model":`...)
	b = appendString(b, c.model)
	if !c.d.filters() {
		b = append(b, `,"service_tier":"default"`...)
	}
	b = append(b, `,"system_fingerprint":"`+systemFingerprint+`","choices":[`...)
	s := &chunker{w: c.w, rc: http.NewResponseController(c.w), buf: b, head: len(b), tail: "]}\n\n", az: c.d.filters()}
	if p.usage {
		// Every chunk before the usage chunk says it carries none.
		s.tail = `],"usage":null}` + "\n\n"
	}
	return s
}

// send writes the event in buf and flushes it, reporting whether the client
// is still reading.
func (s *chunker) send() bool {
	if _, err := s.w.Write(s.buf); err != nil {
		return false
	}
	return s.rc.Flush() == nil
}

// open starts a chunk for choice index.
func (s *chunker) open(index int) {
	s.buf = append(s.buf[:s.head], `{"index":`...)
	s.buf = appendInt(s.buf, index)
}

// close ends the chunk's choice, with content-filter results on Azure, and sends it.
func (s *chunker) close(filters string) bool {
	if s.az {
		s.buf = append(s.buf, `,"content_filter_results":`...)
		s.buf = append(s.buf, filters...)
	}
	s.buf = append(s.buf, '}')
	s.buf = append(s.buf, s.tail...)
	return s.send()
}

// The methods below write one kind of event each and report whether the
// client is still reading. The head stays at the front of buf throughout.

func (s *chunker) preamble() bool {
	if !s.az {
		return true
	}
	// The preamble is not a chunk of this completion: send it without the head.
	if _, err := io.WriteString(s.w, azurePreamble); err != nil {
		return false
	}
	return s.rc.Flush() == nil
}

// roles opens every choice with the assistant's role.
func (s *chunker) roles(answers []answer) bool {
	for i := range answers {
		s.open(i)
		if answers[i].kind == answerTool {
			s.buf = append(s.buf, `,"delta":{"role":"assistant","content":null,"refusal":null}`...)
		} else {
			s.buf = append(s.buf, `,"delta":{"role":"assistant","content":"","refusal":null}`...)
		}
		s.buf = append(s.buf, `,"logprobs":null,"finish_reason":null`...)
		if !s.close("{}") {
			return false
		}
	}
	return true
}

// piece sends step of choice index: a word or fragment of content, or a
// tool call's head or a fragment of its arguments.
func (s *chunker) piece(index int, a *answer, step int) bool {
	s.open(index)
	filters := azureCompletionFilters
	switch {
	case a.kind != answerTool:
		s.buf = append(s.buf, `,"delta":{"content":`...)
		s.buf = appendString(s.buf, a.piece(step))
		s.buf = append(s.buf, '}')
	case step == 0:
		s.buf = append(s.buf, `,"delta":{"tool_calls":[{"index":0,"id":"`...)
		s.buf = append(s.buf, a.callID...)
		s.buf = append(s.buf, `","type":"function","function":{"name":`...)
		s.buf = appendString(s.buf, a.name)
		s.buf = append(s.buf, `,"arguments":""}}]}`...)
		filters = "{}"
	default:
		s.buf = append(s.buf, `,"delta":{"tool_calls":[{"index":0,"function":{"arguments":`...)
		s.buf = appendString(s.buf, a.piece(step-1))
		s.buf = append(s.buf, `}}]}`...)
		filters = "{}"
	}
	s.buf = append(s.buf, `,"logprobs":null,"finish_reason":null`...)
	return s.close(filters)
}

// filterResults sends, on Azure, the asynchronous filter's verdict on each
// whole choice: a chunk with filter results and offsets and no delta.
func (s *chunker) filterResults(answers []answer) bool {
	if !s.az {
		return true
	}
	for i := range answers {
		n := utf8.RuneCount(answers[i].body)
		s.open(i)
		s.buf = append(s.buf, `,"finish_reason":null,"content_filter_results":`...)
		s.buf = append(s.buf, azureCompletionFilters...)
		s.buf = append(s.buf, `,"content_filter_offsets":{"check_offset":`...)
		s.buf = appendInt(s.buf, n)
		s.buf = append(s.buf, `,"start_offset":0,"end_offset":`...)
		s.buf = appendInt(s.buf, n)
		s.buf = append(s.buf, `}}`...)
		s.buf = append(s.buf, s.tail...)
		if !s.send() {
			return false
		}
	}
	return true
}

// finishes closes every choice with an empty delta and its finish reason.
func (s *chunker) finishes(answers []answer) bool {
	for i := range answers {
		s.open(i)
		s.buf = append(s.buf, `,"delta":{},"logprobs":null,"finish_reason":"`...)
		s.buf = append(s.buf, answers[i].finish...)
		s.buf = append(s.buf, '"')
		if !s.close("{}") {
			return false
		}
	}
	return true
}

// usage sends the chunk with no choices that stream_options.include_usage asks for.
func (s *chunker) usage(in, out int) bool {
	s.buf = append(s.buf[:s.head], `],"usage":`...)
	s.buf = appendUsage(s.buf, in, out)
	s.buf = append(s.buf, "}\n\n"...)
	return s.send()
}

func (s *chunker) done() bool {
	if _, err := io.WriteString(s.w, sseDone); err != nil {
		return false
	}
	return s.rc.Flush() == nil
}

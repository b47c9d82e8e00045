package emulate

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
)

// geminiSSE is the Content-Type of Gemini's streams.
var geminiSSE = []string{"text/event-stream"}

// geminiEnum turns a JSON string answer into its bare value, as text/x.enum
// answers are sent.
func geminiEnum(a *answer) {
	var s string
	if a.kind != answerJSON || json.Unmarshal(a.body, &s) != nil {
		return
	}
	a.body = append(a.body[:0], s...)
	a.ends = splitPieces(a.ends[:0], a.body, jsonPieceBytes)
	a.countBody()
}

// geminiSteps is the number of stream chunks an answer takes: a function
// call goes whole in one, and a text with no words still needs one to
// carry its finish reason.
func geminiSteps(a *answer) int {
	if a.kind == answerTool || len(a.ends) == 0 {
		return 1
	}
	return len(a.ends)
}

// geminiSent returns the tokens an answer has sent after s chunks.
func geminiSent(a *answer, s int) int {
	switch {
	case s <= 0:
		return 0
	case a.kind == answerTool || len(a.ends) == 0:
		return a.tokens
	}
	return a.tokensSent(s)
}

func geminiFinish(a *answer) string {
	if a.kind == answerWords && a.finish == "length" {
		return "MAX_TOKENS"
	}
	return "STOP"
}

// appendGeminiID appends 22 URL-safe base-64 characters derived from id,
// the shape of a Gemini responseId.
func appendGeminiID(b []byte, id uint64) []byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for _, v := range [2]uint64{mix64(id), mix64(^id)} {
		for range 11 {
			b = append(b, alphabet[v&63])
			v >>= 6
		}
	}
	return b
}

// geminiSignature is the thoughtSignature of a function call: opaque bytes,
// derived from the call so that a stream and a whole answer agree.
func geminiSignature(a *answer) string {
	h := fnvString(fnvOffset, a.callID)
	var raw [24]byte
	for i := range 3 {
		v := mix64(h + uint64(i))
		for j := range 8 {
			raw[i*8+j] = byte(v >> (8 * j))
		}
	}
	return base64.StdEncoding.EncodeToString(raw[:])
}

// appendCandidate appends candidate index holding body, all or a piece of
// answer a, with its finish reason when finish is set.
func appendCandidate(b []byte, index int, a *answer, body []byte, finish bool) []byte {
	b = append(b, `{"content":{`...)
	switch {
	case a.kind == answerTool:
		b = append(b, `"parts":[{"functionCall":{"id":"`...)
		b = append(b, a.callID...)
		b = append(b, `","name":`...)
		b = appendString(b, a.name)
		b = append(b, `,"args":`...)
		b = append(b, body...)
		b = append(b, `},"thoughtSignature":"`...)
		b = append(b, geminiSignature(a)...)
		b = append(b, `"}],`...)
	case len(body) > 0:
		b = append(b, `"parts":[{"text":`...)
		b = appendString(b, body)
		b = append(b, `}],`...)
	}
	b = append(b, `"role":"model"}`...)
	if finish {
		b = append(b, `,"finishReason":"`...)
		b = append(b, geminiFinish(a)...)
		b = append(b, '"')
	}
	b = append(b, `,"index":`...)
	b = appendInt(b, index)
	return append(b, '}')
}

// appendPromptDetails appends promptTokensDetails: the prompt by modality.
func (p *geminiPrompt) appendPromptDetails(b []byte) []byte {
	b = append(b, `"promptTokensDetails":[{"modality":"TEXT","tokenCount":`...)
	b = appendInt(b, p.tokens-p.imageTokens)
	b = append(b, '}')
	if p.imageTokens > 0 {
		b = append(b, `,{"modality":"IMAGE","tokenCount":`...)
		b = appendInt(b, p.imageTokens)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendTail appends usageMetadata with out candidate tokens, then
// modelVersion and responseId, and closes the response.
func (c *geminiCall) appendTail(b []byte, p *geminiPrompt, out int) []byte {
	b = append(b, `,"usageMetadata":{"promptTokenCount":`...)
	b = appendInt(b, p.tokens)
	if out > 0 { // proto3 JSON leaves zeros out
		b = append(b, `,"candidatesTokenCount":`...)
		b = appendInt(b, out)
	}
	b = append(b, `,"totalTokenCount":`...)
	b = appendInt(b, p.tokens+out)
	b = append(b, ',')
	b = p.appendPromptDetails(b)
	b = append(b, `},"modelVersion":`...)
	b = appendString(b, c.model)
	b = append(b, `,"responseId":"`...)
	b = appendGeminiID(b, c.id)
	return append(b, `"}`...)
}

// complete answers in one piece, once the whole answer would have been
// generated. A client that leaves before then gets, and is billed, nothing.
func (c *geminiCall) complete(p *geminiPrompt, job *chatJob) {
	out, longest := 0, 0
	for i := range job.answers {
		out += job.answers[i].tokens
		longest = max(longest, job.answers[i].tokens)
	}
	pace := newPacer(c.r.Context(), c.start, c.k)
	defer pace.stop()
	if !pace.wait(longest) {
		return
	}
	b := append(job.out[:0], `{"candidates":[`...)
	for i := range job.answers {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCandidate(b, i, &job.answers[i], job.answers[i].body, true)
	}
	b = append(b, ']')
	b = c.appendTail(b, p, out)
	b = append(b, '\n')
	job.out = b
	c.header(geminiJSON)
	c.w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	c.e.books.bill(c.model, p.tokens, out) // before the answer goes out: a client that reads it finds it billed
	c.w.WriteHeader(http.StatusOK)
	if _, err := c.w.Write(b); err != nil {
		c.e.books.unreport(c.model, p.tokens, out)
	}
}

// stream answers chunk by chunk, paced by the knobs: as server-sent events
// when sse is set, else as a JSON array written as it grows. When cut is
// set it drops the connection after about half of the chunks, the way a
// connection dies mid-stream, and bills what was sent.
func (c *geminiCall) stream(p *geminiPrompt, job *chatJob, sse, cut bool) {
	pace := newPacer(c.r.Context(), c.start, c.k)
	defer pace.stop()
	if !pace.wait(0) {
		return // gone before the first token: nothing sent, nothing billed
	}
	if sse {
		c.header(geminiSSE)
		c.w.Header()["Cache-Control"] = noCache
	} else {
		c.header(geminiJSON)
	}
	c.w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(c.w)

	answers := job.answers
	steps := 0
	for i := range answers {
		steps = max(steps, geminiSteps(&answers[i]))
	}
	cutAt := -1
	if cut {
		cutAt = steps / 2
		// A one-chunk answer (a function call) is cut before its chunk: the
		// 200 goes out first, as when a connection dies after the headers,
		// so the client knows the request was taken (and billed).
		if cutAt == 0 {
			_ = rc.Flush()
		}
	}
	sentTotal := func(s int) (total, longest int) {
		for i := range answers {
			n := geminiSent(&answers[i], s)
			total += n
			longest = max(longest, n)
		}
		return total, longest
	}
	b := job.out[:0]
	defer func() { job.out = b }() // hand the grown buffer back to the pool
	ok, sent, billed := true, 0, false
	for s := 0; ok && s < steps && s != cutAt; s++ {
		if _, longest := sentTotal(s); s > 0 && !pace.wait(longest) {
			ok = false
			break
		}
		b = b[:0]
		switch {
		case sse:
			b = append(b, "data: "...)
		case s == 0:
			b = append(b, '[')
		default:
			b = append(b, ",\r\n"...)
		}
		b = append(b, `{"candidates":[`...)
		first := true
		for i := range answers {
			a := &answers[i]
			n := geminiSteps(a)
			if s >= n {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			var body []byte
			switch {
			case a.kind == answerTool:
				body = a.body
			case len(a.ends) > 0:
				body = a.piece(s)
			}
			b = appendCandidate(b, i, a, body, s == n-1)
		}
		b = append(b, ']')
		total, _ := sentTotal(s + 1)
		b = c.appendTail(b, p, total)
		if s == steps-1 { // never reached by a stream being cut
			// Every token is generated: bill before the last chunk goes out.
			c.e.books.bill(c.model, p.tokens, total)
			billed = true
		}
		if sse {
			b = append(b, "\r\n\r\n"...)
		} else if s == steps-1 {
			b = append(b, ']')
		}
		if _, err := c.w.Write(b); err != nil || rc.Flush() != nil {
			if billed { // the last chunk, the usage report, never went out
				c.e.books.unreport(c.model, p.tokens, total)
			}
			ok = false
			break
		}
		sent = s + 1
	}
	total, _ := sentTotal(sent)
	switch {
	case cut && ok:
		c.e.books.billUnreported(c.model, p.tokens, total)
		c.e.books.disconnect()
		// net/http drops the connection without ending the chunked body,
		// so the client sees the stream break mid-way.
		panic(http.ErrAbortHandler)
	case !billed:
		c.e.books.billUnreported(c.model, p.tokens, total) // the client left mid-way
	}
}

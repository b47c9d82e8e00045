package emulate

import (
	"net/http"
	"strconv"
	"time"
)

// Bedrock's stop reasons for the answers an emulator gives.
const (
	converseEndTurn      = "end_turn"
	converseMaxTokens    = "max_tokens"
	converseStopSequence = "stop_sequence"
	converseToolCall     = "tool_use"
	bedrockIDPrefix      = "tooluse_"
	bedrockIDLetters     = 22
	toolUseAlphabet      = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// answer generates the answer to cv into a and returns its stop reason. Stop
// sequences are applied here rather than by generate, so that a cut, which
// Bedrock reports as stop_sequence, is told from a text that ended.
func (cv *converse) answer(a *answer, outputTokens int) string {
	cv.generate(a, 0, outputTokens)
	switch {
	case a.kind == answerTool:
		a.callID = bedrockToolUseID(a.callID)
		return converseToolCall
	case a.kind == answerWords && a.cutAtStop(cv.stops):
		a.tokens = len(a.ends)
		return converseStopSequence
	case a.finish == "length":
		return converseMaxTokens
	}
	return converseEndTurn
}

// bedrockToolUseID turns the package's call id into Bedrock's form: "tooluse_" and
// 22 letters and digits, derived from it so that it is as deterministic.
func bedrockToolUseID(callID string) string {
	r := rng{fnvString(fnvOffset, callID)}
	b := make([]byte, 0, len(bedrockIDPrefix)+bedrockIDLetters)
	b = append(b, bedrockIDPrefix...)
	for range bedrockIDLetters {
		b = append(b, toolUseAlphabet[r.intn(uint64(len(toolUseAlphabet)))])
	}
	return string(b)
}

// completeConverse answers Converse in one piece once the whole answer would
// have been generated. A client that leaves before then gets, and is billed,
// nothing.
func (c *bedrockCall) completeConverse(cv *converse, job *chatJob, reason string) {
	a := &job.answers[0]
	pace := newPacer(c.r.Context(), c.start, c.k)
	defer pace.stop()
	if !pace.wait(a.tokens) {
		return
	}
	b := append(job.out[:0], `{"output":{"message":{"role":"assistant","content":[`...)
	b = appendConverseBlock(b, a)
	b = append(b, `]}},"stopReason":"`...)
	b = append(b, reason...)
	b = append(b, `","usage":`...)
	b = appendBedrockUsage(b, cv.tokens, a.tokens)
	b = append(b, `,"metrics":{"latencyMs":`...)
	b = strconv.AppendInt(b, time.Since(c.start).Milliseconds(), 10)
	b = append(b, "}}"...)
	job.out = b
	h := c.w.Header()
	h["Content-Type"] = jsonContent
	h.Set("Content-Length", strconv.Itoa(len(b)))
	c.e.books.bill(c.model, cv.tokens, a.tokens) // before the answer goes out, so a client that has it sees it billed
	c.w.WriteHeader(http.StatusOK)
	if _, err := c.w.Write(b); err != nil {
		c.e.books.unreport(c.model, cv.tokens, a.tokens)
	}
}

// appendConverseBlock appends the answer's content block: a toolUse, or text; an
// empty text is no block.
func appendConverseBlock(b []byte, a *answer) []byte {
	switch {
	case a.kind == answerTool:
		b = append(b, `{"toolUse":{"toolUseId":"`...)
		b = append(b, a.callID...)
		b = append(b, `","name":`...)
		b = appendString(b, a.name)
		b = append(b, `,"input":`...)
		b = append(b, a.body...) // compact JSON generated from the schema
		b = append(b, "}}"...)
	case len(a.body) > 0:
		b = append(b, `{"text":`...)
		b = appendString(b, a.body)
		b = append(b, '}')
	}
	return b
}

func appendBedrockUsage(b []byte, in, out int) []byte {
	b = append(b, `{"inputTokens":`...)
	b = appendInt(b, in)
	b = append(b, `,"outputTokens":`...)
	b = appendInt(b, out)
	b = append(b, `,"totalTokens":`...)
	b = appendInt(b, in+out)
	return append(b, '}')
}

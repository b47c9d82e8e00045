package emulate

import "github.com/switchyard/switchyard/internal/tokens"

// Token accounting. The rule is documented in the package comment; tests in
// other packages rely on it, so change both together or not at all. Texts
// are counted with internal/tokens (o200k_base BPE), the tokenizer the
// gateway estimates with, and the fixed overheads below are added on top.

const (
	chatPrimingTokens = 3  // per chat request
	chatMessageTokens = 4  // per message, before its text
	chatImageTokens   = 85 // per image part
)

// textTokens returns the token count of a text.
func textTokens(s string) int { return tokens.Count(s) }

// jsonTokens returns the token count of the compact form of valid JSON (raw
// with its insignificant white space removed), as the rule counts tool
// definitions.
func jsonTokens(raw []byte) int {
	return tokens.Count(string(appendCompact(nil, raw)))
}

// appendCompact appends valid JSON to dst with its insignificant white
// space removed, as json.Compact writes it.
func appendCompact(dst, raw []byte) []byte {
	inString, escaped := false, false
	for _, c := range raw {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		default:
			inString = c == '"'
		}
		dst = append(dst, c)
	}
	return dst
}

// promptCounter adds up the prompt tokens of a chat request message by
// message: a message's text is written in pieces, and message closes it.
type promptCounter struct {
	total   int
	text    tokens.Counter
	scratch []byte
}

func newPromptCounter() promptCounter { return promptCounter{total: chatPrimingTokens} }

// add appends a piece of the current message's text.
func (p *promptCounter) add(s string) { p.text.WriteString(s) }

// addJSON appends valid JSON to the current message's text in compact form.
func (p *promptCounter) addJSON(raw []byte) {
	p.scratch = appendCompact(p.scratch[:0], raw)
	p.text.Write(p.scratch)
}

// take returns the tokens of the current message's text and empties it.
func (p *promptCounter) take() int {
	n := p.text.Tokens()
	p.text.Reset()
	return n
}

// message closes the current message, which has images image parts.
func (p *promptCounter) message(images int) {
	p.total += chatMessageTokens + p.take() + images*chatImageTokens
}

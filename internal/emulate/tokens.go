package emulate

// Token accounting. The rule is documented in the package comment; tests in
// other packages rely on it, so change both together or not at all.

const (
	chatPrimingTokens  = 3  // per chat request
	chatMessageTokens  = 4  // per message, before its text
	chatImageTokens    = 85 // per image part
	bytesPerTokenShift = 2  // four bytes make a token
)

// tokens returns the token count of a text of n bytes: ceil(n/4).
func tokens(n int) int {
	return (n + 3) >> bytesPerTokenShift
}

// promptCounter adds up the prompt tokens of a chat request message by message.
type promptCounter struct {
	total int
}

func newPromptCounter() promptCounter { return promptCounter{total: chatPrimingTokens} }

// message counts one message whose text is textLen bytes long and which has
// images image parts.
func (p *promptCounter) message(textLen, images int) {
	p.total += chatMessageTokens + tokens(textLen) + images*chatImageTokens
}

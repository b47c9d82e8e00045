package api

import "github.com/switchyard/switchyard/internal/wire"

// estimate guesses usage when a provider reported none (an interrupted stream,
// a server that omits usage): about four bytes of JSON text per token. The
// event is marked estimated so the books can tell it from a provider's report.
func estimate(promptBytes, completionBytes int) wire.Usage {
	return wire.Usage{Prompt: int64(promptBytes+3) / 4, Completion: int64(completionBytes+3) / 4}
}

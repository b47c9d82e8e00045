package emulate

import "net/http"

// newAnthropicAPI is a placeholder until the Anthropic emulator lands.
func newAnthropicAPI(e *Emulator) http.Handler { return http.NotFoundHandler() }

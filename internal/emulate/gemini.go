package emulate

import "net/http"

// newGeminiAPI is a placeholder until the Gemini emulator lands.
func newGeminiAPI(e *Emulator) http.Handler { return http.NotFoundHandler() }

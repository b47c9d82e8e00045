package emulate

import "net/http"

// newBedrockAPI is a placeholder until the Bedrock emulator lands.
func newBedrockAPI(e *Emulator) http.Handler { return http.NotFoundHandler() }

package anthropic

import "github.com/switchyard/switchyard/internal/wire/jsoncheck"

// requestKeys are the fields of a Messages (or count_tokens) body the
// gateway routes, prices, estimates or rewrites on, and those a translation
// re-encodes. Each must come once and spelled exactly, so that a cloud whose
// parser folds case or keeps the other copy of a repeated key reads what the
// gateway routed and priced.
var requestKeys = jsoncheck.NewWatch(
	"model", "messages", "system", "max_tokens", "stream",
	"tools", "tool_choice", "thinking",
	"temperature", "top_p", "top_k", "stop_sequences",
	"output_config", "output_format",
)

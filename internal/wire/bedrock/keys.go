package bedrock

import "github.com/switchyard/switchyard/internal/wire/jsoncheck"

// requestKeys are the fields of a Converse body the gateway reads (prompt,
// limits, tools, output format) and re-encodes. Each must come once and
// spelled exactly, so that what a cloud reads is what was routed and priced.
var requestKeys = jsoncheck.NewWatch(
	"messages", "system", "toolConfig", "outputConfig",
	"inferenceConfig", "inferenceConfig.maxTokens", "inferenceConfig.temperature",
	"inferenceConfig.topP", "inferenceConfig.stopSequences",
	"additionalModelRequestFields", "additionalModelResponseFieldPaths",
	"promptVariables", "guardrailConfig",
)

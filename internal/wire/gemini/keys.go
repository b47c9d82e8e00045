package gemini

import "github.com/switchyard/switchyard/internal/wire/jsoncheck"

// requestKeys are the fields of a GenerateContentRequest the gateway reads
// (model, prompt, limits, tools) and re-encodes. Google accepts lowerCamel
// and snake_case alike, so generationConfig and generation_config are one
// field: each may come once, in either spelling, and in no other case.
var requestKeys = jsoncheck.NewSnakeWatch(
	"model", "contents", "systemInstruction", "tools", "toolConfig",
	"safetySettings", "cachedContent", "generationConfig",
	"generationConfig.maxOutputTokens", "generationConfig.candidateCount",
	"generationConfig.temperature", "generationConfig.topP", "generationConfig.topK",
	"generationConfig.stopSequences", "generationConfig.responseMimeType",
	"generationConfig.responseSchema", "generationConfig.responseJsonSchema",
	"generationConfig.thinkingConfig",
)

// Package wire names the wire formats clients and clouds speak and the usage they report.
package wire

// Format is a wire format: the shape of request and response bodies.
type Format uint8

// The formats Switchyard speaks.
const (
	OpenAI    Format = iota + 1 // OpenAI Chat Completions (also Azure, vLLM, Ollama)
	Anthropic                   // Anthropic Messages
	Bedrock                     // AWS Bedrock Converse
	Gemini                      // Google Gemini generateContent
)

func (f Format) String() string {
	switch f {
	case OpenAI:
		return "openai"
	case Anthropic:
		return "anthropic"
	case Bedrock:
		return "bedrock"
	case Gemini:
		return "gemini"
	}
	return "unknown"
}

// Usage is the token count of one upstream answer, in OpenAI's convention:
// Prompt includes Cached and CacheWrite, Completion includes Reasoning.
type Usage struct {
	Prompt     int64 `json:"prompt_tokens"`
	Completion int64 `json:"completion_tokens"`
	Cached     int64 `json:"cached_tokens,omitempty"`      // prompt tokens read from a cache
	CacheWrite int64 `json:"cache_write_tokens,omitempty"` // prompt tokens written to a cache
	Reasoning  int64 `json:"reasoning_tokens,omitempty"`   // completion tokens spent reasoning
}

// Total is prompt plus completion tokens.
func (u Usage) Total() int64 { return u.Prompt + u.Completion }

// Add returns the sum of u and v.
func (u Usage) Add(v Usage) Usage {
	return Usage{
		Prompt:     u.Prompt + v.Prompt,
		Completion: u.Completion + v.Completion,
		Cached:     u.Cached + v.Cached,
		CacheWrite: u.CacheWrite + v.CacheWrite,
		Reasoning:  u.Reasoning + v.Reasoning,
	}
}

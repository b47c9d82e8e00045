package anthropic

import (
	"strings"

	"github.com/switchyard/switchyard/internal/wire"
)

// RedactedPrefix marks a canonical Thinking part that carries an Anthropic
// redacted_thinking block: its Signature is this prefix followed by the
// block's opaque data, and its Text is empty. Redacted reasoning must be sent
// back unchanged on the next turn of a tool loop, so it travels through the
// canonical form instead of being dropped. The prefix cannot occur in a real
// signature, which is base64.
const RedactedPrefix = "redacted:"

// finishOf maps a stop_reason to a canonical finish (protocols.md §8). An
// unknown reason counts as a normal stop, so that a new reason added by
// Anthropic does not break answers; an empty one means none was given.
func finishOf(reason string) wire.Finish {
	switch reason {
	case "":
		return 0
	case "end_turn", "stop_sequence", "pause_turn":
		return wire.FinishStop
	case "max_tokens", "model_context_window_exceeded":
		return wire.FinishLength
	case "tool_use":
		return wire.FinishToolCalls
	case "refusal":
		return wire.FinishContentFilter
	}
	return wire.FinishStop
}

// stopReason maps a canonical finish back to a stop_reason. A stop with a
// known stop string is "stop_sequence"; no finish at all reads as "end_turn".
func stopReason(f wire.Finish, stopSeq string) string {
	switch f {
	case wire.FinishLength:
		return "max_tokens"
	case wire.FinishToolCalls:
		return "tool_use"
	case wire.FinishContentFilter:
		return "refusal"
	}
	if stopSeq != "" {
		return "stop_sequence"
	}
	return "end_turn"
}

// usage is Anthropic's token count. input_tokens excludes the cache reads and
// writes, where the canonical Prompt includes them.
type usage struct {
	input, cacheWrite, cacheRead, output, thinking int64
}

func (u usage) canonical() wire.Usage {
	return wire.Usage{
		Prompt:     u.input + u.cacheWrite + u.cacheRead,
		Completion: u.output,
		Cached:     u.cacheRead,
		CacheWrite: u.cacheWrite,
		Reasoning:  u.thinking,
	}
}

// fromCanonical is the inverse of canonical. A Prompt smaller than its cached
// parts (an inconsistent upstream) gives input_tokens 0 rather than a
// negative count.
func fromCanonical(w wire.Usage) usage {
	in := w.Prompt - w.Cached - w.CacheWrite
	if in < 0 {
		in = 0
	}
	return usage{input: in, cacheWrite: w.CacheWrite, cacheRead: w.Cached, output: w.Completion, thinking: w.Reasoning}
}

// appendUsage appends the usage object's fields (without braces).
func appendUsage(dst []byte, u usage) []byte {
	dst = appendKey(dst, "input_tokens")
	dst = appendInt(dst, u.input)
	dst = appendKey(dst, "cache_creation_input_tokens")
	dst = appendInt(dst, u.cacheWrite)
	dst = appendKey(dst, "cache_read_input_tokens")
	dst = appendInt(dst, u.cacheRead)
	dst = appendKey(dst, "output_tokens")
	dst = appendInt(dst, u.output)
	if u.thinking > 0 {
		dst = appendKey(dst, "output_tokens_details")
		dst = append(dst, `{"thinking_tokens":`...)
		dst = appendInt(dst, u.thinking)
		dst = append(dst, '}')
	}
	return dst
}

// isRedacted reports whether a Thinking part's signature carries a
// redacted_thinking block, and returns its data.
func isRedacted(sig string) (string, bool) {
	return strings.CutPrefix(sig, RedactedPrefix)
}

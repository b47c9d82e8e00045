package api

import (
	"fmt"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/tokens"
)

// TestTextCounterHold checks that chunks held unparsed count the same text,
// in the same order, as the content the client was sent: whether the count
// comes after a few chunks, or after so many that the hold overflowed into
// parsing as they come.
func TestTextCounterHold(t *testing.T) {
	openaiChunk := func(i int) string {
		if i%7 == 3 {
			return fmt.Sprintf(`{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"f%d","arguments":"{\"q\":\"é%d\"}"}}]}}]}`, i, i)
		}
		return fmt.Sprintf(`{"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"word %d, \"quoted\" ü "}}]}`, i)
	}
	for _, n := range []int{0, 1, 20, 10000} {
		t.Run(fmt.Sprintf("openai/%d", n), func(t *testing.T) {
			var tc textCounter
			defer tc.release()
			var want strings.Builder
			for i := range n {
				c := openaiChunk(i)
				tc.hold(chunkOpenAI, []byte(c))
				if i%7 == 3 {
					fmt.Fprintf(&want, "f%d{\"q\":\"é%d\"}", i, i)
				} else {
					fmt.Fprintf(&want, "word %d, \"quoted\" ü ", i)
				}
			}
			if n == 10000 && !tc.eager {
				t.Fatalf("10000 chunks (%d bytes held) did not overflow the hold", len(*tc.raw))
			}
			if got, w := tc.tokens(), int64(tokens.Count(want.String())); got != w {
				t.Fatalf("tokens = %d, want %d (the text sent)", got, w)
			}
			// Counting again, after more chunks, still counts everything.
			tc.hold(chunkOpenAI, []byte(openaiChunk(1)))
			want.WriteString("word 1, \"quoted\" ü ")
			if got, w := tc.tokens(), int64(tokens.Count(want.String())); got != w {
				t.Fatalf("second count = %d, want %d", got, w)
			}
		})
	}
	t.Run("anthropic", func(t *testing.T) {
		var tc textCounter
		defer tc.release()
		tc.hold(chunkAnthropicStart, []byte(`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`))
		tc.hold(chunkAnthropicDelta, []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello there"}}`))
		tc.hold(chunkAnthropicDelta, []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":" I think"}}`))
		tc.hold(chunkAnthropicStart, []byte(`{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"t","name":"get_weather","input":{}}}`))
		tc.hold(chunkAnthropicDelta, []byte(`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}}`))
		want := "Hello there I thinkget_weather{\"city\":"
		if got, w := tc.tokens(), int64(tokens.Count(want)); got != w {
			t.Fatalf("tokens = %d, want %d", got, w)
		}
	})
}

// BenchmarkTextCounterHold is the per-chunk cost of keeping an OpenAI
// stream chunk for an estimate that is never asked for (most streams),
// against parsing each for its text as it came (parsed).
func BenchmarkTextCounterHold(b *testing.B) {
	chunk := []byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"bench-model","choices":[{"index":0,"delta":{"content":"token "},"finish_reason":null}]}`)
	for _, bc := range []struct {
		name string
		keep func(*textCounter, []byte)
	}{
		{"held", func(tc *textCounter, c []byte) { tc.hold(chunkOpenAI, c) }},
		{"parsed", func(tc *textCounter, c []byte) { tc.parse(chunkOpenAI, c) }}, // what every chunk cost before
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var tc textCounter
			for i := range b.N {
				bc.keep(&tc, chunk)
				if i%20 == 19 {
					tc.release()
				}
			}
			tc.release()
		})
	}
}

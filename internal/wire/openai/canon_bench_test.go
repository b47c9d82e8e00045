package openai

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func loadAgent(tb testing.TB) *wire.Request {
	tb.Helper()
	r, err := DecodeRequest(mustRead(tb, "testdata/request/agent.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func BenchmarkDecodeRequest(b *testing.B) {
	body := mustRead(b, "testdata/request/agent.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeRequest(b *testing.B) {
	r := loadAgent(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeRequest(r); err != nil {
			b.Fatal(err)
		}
	}
}

// streamWords are the deltas of the benchmark stream: short tokens, some
// with characters that need escaping or are not ASCII.
var streamWords = []string{" The", " quick", " brown", " fox", ",", " \"jumps\"", " over", "\n", " the", " lazy", " dog", " —", " café", "."}

// textStream200 is a 200-chunk OpenAI stream: the role chunk, 197 content
// chunks, the finish chunk and the usage chunk (then [DONE]).
func textStream200() []byte {
	var b bytes.Buffer
	head := `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1763800000,"model":"gpt-4o-2024-11-20","system_fingerprint":"fp_x",`
	b.WriteString(head + `"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}` + "\n\n")
	for i := 0; i < 197; i++ {
		fmt.Fprintf(&b, "%s\"choices\":[{\"index\":0,\"delta\":{\"content\":%q},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null,\"obfuscation\":\"x1\"}\n\n", head, streamWords[i%len(streamWords)])
	}
	b.WriteString(head + `"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}` + "\n\n")
	b.WriteString(head + `"choices":[],"usage":{"prompt_tokens":900,"completion_tokens":197,"total_tokens":1097,"prompt_tokens_details":{"cached_tokens":512}}}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

// textEvents200 is the same answer as 200 canonical events.
func textEvents200() []wire.Event {
	evs := []wire.Event{{Kind: wire.EventStart, ID: "msg_1", Model: "claude"}}
	for i := 0; i < 197; i++ {
		evs = append(evs, wire.Event{Kind: wire.EventText, Text: streamWords[i%len(streamWords)]})
	}
	return append(evs,
		wire.Event{Kind: wire.EventFinish, Finish: wire.FinishStop},
		wire.Event{Kind: wire.EventUsage, Usage: wire.Usage{Prompt: 900, Completion: 197, Cached: 512}})
}

func BenchmarkStream200(b *testing.B) {
	b.Run("decode", func(b *testing.B) {
		stream := textStream200()
		b.SetBytes(int64(len(stream)))
		b.ReportAllocs()
		var rd bytes.Reader
		rd.Reset(stream)
		d := NewStreamDecoder(&rd)
		evs := make([]wire.Event, 0, 8)
		for b.Loop() {
			rd.Reset(stream)
			d.Reset(&rd)
			n := 0
			for {
				var err error
				evs, err = d.Next(evs[:0])
				n += len(evs)
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			if n != 200 {
				b.Fatalf("%d events", n)
			}
		}
	})
	b.Run("encode", func(b *testing.B) {
		evs := textEvents200()
		b.ReportAllocs()
		dst := make([]byte, 0, 64<<10)
		for b.Loop() {
			enc := NewStreamEncoder("chatcmpl-gw", "client-model", 1763800000, true)
			dst = dst[:0]
			for i := range evs {
				dst = enc.Append(dst, &evs[i])
			}
			dst = enc.End(dst)
		}
		b.SetBytes(int64(len(dst)))
	})
}

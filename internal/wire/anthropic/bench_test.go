package anthropic

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

// The benchmark request: testdata/request/agent.in.json, ~2.6 KB with a
// system prompt, five turns, two tools, a tool call and its result.

func BenchmarkDecodeRequest(b *testing.B) {
	body := mustRead(b, "testdata/request/agent.in.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeRequest(b *testing.B) {
	r, err := DecodeRequest(mustRead(b, "testdata/request/agent.in.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeRequest(r); err != nil {
			b.Fatal(err)
		}
	}
}

// stream200 is an Anthropic stream of 200 text deltas.
func stream200() ([]byte, []wire.Event) {
	var sb bytes.Buffer
	sb.WriteString("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_bench\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-5\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":512,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1}}}\n\n")
	sb.WriteString("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n")
	evs := []wire.Event{{Kind: wire.EventStart, ID: "msg_bench", Model: "claude-sonnet-5", Usage: wire.Usage{Prompt: 512}}}
	for i := range 200 {
		text := fmt.Sprintf(" token%d \"q\"", i)
		fmt.Fprintf(&sb, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" token%d \\\"q\\\"\"}}\n\n", i)
		evs = append(evs, wire.Event{Kind: wire.EventText, Text: text})
	}
	sb.WriteString("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n")
	sb.WriteString("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":200}}\n\n")
	sb.WriteString("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	evs = append(evs, wire.Event{Kind: wire.EventFinish, Finish: wire.FinishStop}, wire.Event{Kind: wire.EventUsage, Usage: wire.Usage{Prompt: 512, Completion: 200}})
	return sb.Bytes(), evs
}

func BenchmarkStream200(b *testing.B) {
	body, evs := stream200()
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		rd := bytes.NewReader(body)
		d := NewStreamDecoder(rd)
		buf := make([]wire.Event, 0, 8)
		for b.Loop() {
			rd.Reset(body)
			d.Reset(rd)
			n := 0
			for {
				var err error
				buf, err = d.Next(buf[:0])
				n += len(buf)
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			if n != 205 { // start, the empty text start, 200 deltas, block end, finish, usage
				b.Fatalf("%d events", n)
			}
		}
	})
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		dst := make([]byte, 0, 64<<10)
		for b.Loop() {
			e := NewStreamEncoder("msg_bench", "claude-sonnet-5")
			dst = dst[:0]
			for i := range evs {
				dst = e.Append(dst, &evs[i])
			}
			dst = e.End(dst)
		}
		b.SetBytes(int64(len(dst)))
	})
}

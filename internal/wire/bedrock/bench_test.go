package bedrock

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

// Benchmarks on a realistic agent request (system prompt, five turns, two
// tools, reasoning, two tool calls and their results, an image) and a
// 200-event text stream.

func loadAgent(b *testing.B) []byte {
	body, err := os.ReadFile("testdata/request/agent.in.json")
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	if err := compact(&out, body); err != nil {
		b.Fatal(err)
	}
	return out.Bytes()
}

func BenchmarkDecodeRequest(b *testing.B) {
	body := loadAgent(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeRequest(b *testing.B) {
	r, err := DecodeRequest(loadAgent(b))
	if err != nil {
		b.Fatal(err)
	}
	out, _ := EncodeRequest(r)
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeRequest(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeResponse(b *testing.B) {
	body, err := os.ReadFile("testdata/response/tool_use.in.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeResponse(body); err != nil {
			b.Fatal(err)
		}
	}
}

// stream200 is 200 canonical events: start, 197 text deltas, finish, usage.
func stream200() []wire.Event {
	evs := []wire.Event{{Kind: wire.EventStart}}
	for i := 0; i < 197; i++ {
		evs = append(evs, wire.Event{Kind: wire.EventText, Text: "token " + strconv.Itoa(i) + " of a \"streamed\" answer, "})
	}
	return append(evs,
		wire.Event{Kind: wire.EventFinish, Finish: wire.FinishStop},
		wire.Event{Kind: wire.EventUsage, Usage: wire.Usage{Prompt: 1200, Completion: 197}})
}

func BenchmarkStream200Decode(b *testing.B) {
	raw := encodeStream(stream200(), nil)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	r := bytes.NewReader(raw)
	evs := make([]wire.Event, 0, 8)
	for b.Loop() {
		r.Reset(raw)
		d := NewStreamDecoder(r)
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
		if n != 201 { // 200 + the contentBlockStop the encoder adds
			b.Fatalf("%d events", n)
		}
	}
}

func BenchmarkStream200Encode(b *testing.B) {
	evs := stream200()
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		enc := NewStreamEncoder()
		buf = buf[:0]
		for i := range evs {
			buf = enc.Append(buf, &evs[i])
		}
		buf = enc.End(buf)
	}
	b.SetBytes(int64(len(buf)))
}

func compact(dst *bytes.Buffer, src []byte) error { return json.Compact(dst, src) }

package gemini

import (
	"bytes"
	"io"
	"strconv"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

func BenchmarkDecodeRequest(b *testing.B) {
	body := readFile(b, "testdata/bench_request.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeRequest(b *testing.B) {
	r, err := DecodeRequest(readFile(b, "testdata/bench_request.json"))
	if err != nil {
		b.Fatal(err)
	}
	r.Model = "gemini-3-flash"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeRequest(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeResponse(b *testing.B) {
	body := readFile(b, "testdata/responses/tool_calls.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeResponse(body); err != nil {
			b.Fatal(err)
		}
	}
}

// stream200 is a 200-event answer: start, 197 text deltas, finish, usage.
func stream200() []wire.Event {
	evs := []wire.Event{{Kind: wire.EventStart, ID: "bench-1", Model: "gemini-3-flash", Usage: wire.Usage{Prompt: 812}}}
	for i := range 197 {
		evs = append(evs, wire.Event{Kind: wire.EventText, Text: "token " + strconv.Itoa(i) + ", "})
	}
	return append(evs,
		wire.Event{Kind: wire.EventFinish, Finish: wire.FinishStop},
		wire.Event{Kind: wire.EventUsage, Usage: wire.Usage{Prompt: 812, Completion: 197}})
}

func BenchmarkStream200(b *testing.B) {
	evs := stream200()
	b.Run("decode", func(b *testing.B) {
		body := encodeAll(evs, nil)
		rd := bytes.NewReader(body)
		d := NewStreamDecoder(rd)
		buf := make([]wire.Event, 0, 8)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
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
			if n < 199 {
				b.Fatalf("decoded %d events", n)
			}
		}
	})
	b.Run("encode", func(b *testing.B) {
		buf := make([]byte, 0, 64<<10)
		b.ReportAllocs()
		for b.Loop() {
			e := NewStreamEncoder("gemini-3-flash")
			buf = buf[:0]
			for i := range evs {
				buf = e.Append(buf, &evs[i])
			}
			buf = e.End(buf)
		}
		b.SetBytes(int64(len(buf)))
	})
}

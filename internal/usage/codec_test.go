package usage

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/wire"
)

func fullEvent() Event {
	return Event{
		RequestID: "req_01HZX", Attempt: 2,
		Time:     time.Date(2026, 12, 7, 12, 30, 1, 123456789, time.UTC),
		TenantID: "t_acme", KeyID: "k_1", KeyName: "acme-prod",
		Model: "gpt-oss-120b", Deployment: "bedrock-east", Provider: "bedrock", Op: "chat", Stream: true,
		Outcome: Interrupted, Status: 200,
		Usage:  wire.Usage{Prompt: 1200, Completion: 300, Cached: 1000, CacheWrite: 100, Reasoning: 50},
		Source: Estimated, Cost: 1_234_567, PriceVersion: "bedrock-east@2026-11-01", Unpriced: false,
		TTFT: 350 * time.Millisecond, Duration: 4 * time.Second, Error: "upstream: connection reset",
	}
}

func TestCodecRoundTrip(t *testing.T) {
	maxU := wire.Usage{Prompt: math.MaxInt64, Completion: math.MaxInt64, Cached: math.MaxInt64, CacheWrite: math.MaxInt64, Reasoning: math.MaxInt64}
	minU := wire.Usage{Prompt: math.MinInt64, Completion: math.MinInt64, Cached: math.MinInt64, CacheWrite: math.MinInt64, Reasoning: math.MinInt64}
	tests := []struct {
		name string
		edit func(e *Event)
	}{
		{"full", func(*Event) {}},
		{"zero", func(e *Event) { *e = Event{} }},
		{"max numbers", func(e *Event) {
			e.Attempt, e.Status, e.Usage, e.Cost = math.MaxInt, math.MaxInt, maxU, money.Nanos(math.MaxInt64)
			e.TTFT, e.Duration = math.MaxInt64, math.MaxInt64
			e.Outcome, e.Source = Outcome(255), Source(255)
		}},
		{"min numbers", func(e *Event) {
			e.Attempt, e.Status, e.Usage, e.Cost = math.MinInt, math.MinInt, minU, money.Nanos(math.MinInt64)
			e.TTFT, e.Duration = math.MinInt64, math.MinInt64
		}},
		{"flags", func(e *Event) { e.Stream, e.Unpriced = false, true }},
		{"every outcome", func(e *Event) { e.Outcome, e.Source = ClientAborted, Reported }},
		{"last representable time", func(e *Event) { e.Time = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC) }},
		{"first representable time", func(e *Event) { e.Time = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"before 1970", func(e *Event) { e.Time = time.Date(1969, 12, 31, 23, 59, 59, 1, time.UTC) }},
		{"long and odd strings", func(e *Event) {
			e.Error = strings.Repeat("é\x00\xff", 70000)
			e.KeyName = "\xff\xfe not utf-8"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fullEvent()
			tt.edit(&in)
			b, err := in.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			var out Event
			if err := out.UnmarshalBinary(b); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(in, out) {
				t.Fatalf("round trip changed the event:\n in %+v\nout %+v", in, out)
			}
		})
	}
}

func TestCodecTimeIsUTCWithoutMonotonic(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	in := fullEvent()
	in.Time = time.Now().In(paris) // carries a monotonic reading and a zone
	b, err := in.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	var out Event
	if err := out.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !out.Time.Equal(in.Time) {
		t.Fatalf("instant changed: %v != %v", out.Time, in.Time)
	}
	if out.Time.Location() != time.UTC || out.Time != in.Time.Round(0).UTC() {
		t.Fatalf("decoded time %#v is not the UTC wall time of %v", out.Time, in.Time)
	}
}

func TestCodecRefusesUnencodableTime(t *testing.T) {
	e := fullEvent()
	e.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := e.AppendBinary(nil); err == nil {
		t.Fatal("a time past year 9999 encoded; the decoder would refuse it")
	}
}

func TestCodecAppendsToExisting(t *testing.T) {
	e := fullEvent()
	b, err := e.AppendBinary([]byte("head"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("head")) {
		t.Fatal("AppendBinary overwrote the bytes it was given")
	}
	var out Event
	if err := out.UnmarshalBinary(b[4:]); err != nil || out != e {
		t.Fatalf("decode after prefix: %v", err)
	}
}

func TestCodecRejectsGarbage(t *testing.T) {
	e := fullEvent()
	good, _ := e.AppendBinary(nil)
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"unknown version", append([]byte{9}, good[1:]...)},
		{"trailing byte", append(append([]byte{}, good...), 0)},
		{"string length past end", []byte{codecVersion, 0xff, 0xff, 0x03, 'a'}},
		{"overlong varint", append([]byte{codecVersion, 0}, bytes.Repeat([]byte{0xff}, 11)...)},
	}
	for n := 1; n < len(good); n++ {
		tests = append(tests, struct {
			name string
			b    []byte
		}{"truncated", good[:n]})
	}
	for _, tt := range tests {
		var out Event
		if err := out.UnmarshalBinary(tt.b); err == nil {
			t.Errorf("%s (%d bytes): decoded without error", tt.name, len(tt.b))
		}
	}
}

func TestCodecDecodeReplacesEveryField(t *testing.T) {
	var zero Event
	b, _ := zero.AppendBinary(nil)
	out := fullEvent()
	if err := out.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, Event{}) {
		t.Fatalf("stale fields survived decoding: %+v", out)
	}
}

func TestCodecAppendAllocatesNothing(t *testing.T) {
	e := fullEvent()
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(100, func() {
		buf, _ = e.AppendBinary(buf[:0])
	})
	if allocs != 0 {
		t.Fatalf("AppendBinary into a reused buffer allocated %v times", allocs)
	}
}

func FuzzEventUnmarshal(f *testing.F) {
	full := fullEvent()
	for _, e := range []Event{{}, full} {
		b, _ := e.AppendBinary(nil)
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte{codecVersion, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Event
		if err := e.UnmarshalBinary(b); err != nil {
			return
		}
		// Whatever decodes must re-encode to the same bytes: one encoding per event.
		again, err := e.AppendBinary(nil)
		if err != nil {
			t.Fatalf("decoded event does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			// Varints have non-minimal forms; accept them only if they decode the same.
			var e2 Event
			if err := e2.UnmarshalBinary(again); err != nil || !reflect.DeepEqual(e, e2) {
				t.Fatalf("re-encoding changed the event: %v", err)
			}
		}
	})
}

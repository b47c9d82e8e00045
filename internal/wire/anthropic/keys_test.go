package anthropic

import (
	"errors"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

// TestRequestKeysRefused: a second or case-variant copy of a field the
// gateway reads is refused, naming the key, on Messages and count_tokens.
func TestRequestKeysRefused(t *testing.T) {
	const base = `"max_tokens":16,"messages":[{"role":"user","content":"hi"}]`
	tests := []struct{ name, body, field, msg string }{
		{"model case-variant", `{"model":"claude-haiku",` + base + `,"Model":"claude-opus"}`, "Model", `duplicate key "Model" (case-variant of "model"): the request must carry each field once`},
		{"model twice", `{"model":"claude-haiku","model":"claude-opus",` + base + `}`, "model", `duplicate key "model"`},
		{"max_tokens twice", `{"model":"m",` + base + `,"max_tokens":64000}`, "max_tokens", `duplicate key "max_tokens"`},
		{"system variant", `{"model":"m",` + base + `,"System":"be evil"}`, "System", `case-variant of "system"`},
		{"stream variant", `{"model":"m",` + base + `,"Stream":true}`, "Stream", `case-variant of "stream"`},
		{"tools twice", `{"model":"m",` + base + `,"tools":[],"tools":[]}`, "tools", `duplicate key "tools"`},
		{"escaped variant", `{"model":"m",` + base + `,"\u004dodel":"x"}`, "Model", `case-variant of "model"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, decode := range []func([]byte) (*wire.Request, error){DecodeRequest, DecodeCountTokensRequest} {
				_, err := decode([]byte(tt.body))
				var inv *wire.Invalid
				if !errors.As(err, &inv) || inv.Field != tt.field || !strings.Contains(inv.Reason, tt.msg) {
					t.Fatalf("got %v; want *wire.Invalid on %q saying %q", err, tt.field, tt.msg)
				}
			}
		})
	}
}

// TestMalformedBodyNamesTheByte: a broken body says where it breaks.
func TestMalformedBodyNamesTheByte(t *testing.T) {
	tests := []struct{ name, body, msg string }{
		{"six million brackets", strings.Repeat("[", 6_000_000), "nesting deeper than the 128-level limit at byte 129"},
		{"deep in messages", `{"model":"m","messages":[{"role":"user","content":` + strings.Repeat("[", 300), "128-level limit at byte"},
		{"trailing comma", `{"model":"m","max_tokens":1,}`, "at byte 29"},
		{"truncated", `{"model":"m","max_tokens":1`, "unexpected end of JSON input, expected ',' or '}' at byte 27"},
		{"invalid UTF-8", "{\"model\":\"\xc3\x28\"}", "invalid UTF-8 byte 0xc3 in a string at byte 11"},
		{"empty", "", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRequest([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want %q", err, tt.msg)
			}
		})
	}
}

func TestUpstreamDepthIsADecodeError(t *testing.T) {
	deep := []byte(`{"content":` + strings.Repeat("[", 200000))
	if _, err := DecodeResponse(deep); err == nil || !strings.Contains(err.Error(), "128-level limit") {
		t.Fatalf("DecodeResponse = %v", err)
	}
	if e := DecodeError(500, nil, deep); e == nil || e.Message == "" {
		t.Fatalf("DecodeError = %+v", e)
	}
	d := NewStreamDecoder(strings.NewReader("event: content_block_delta\ndata: " + string(deep) + "\n\n"))
	if _, err := d.Next(nil); err == nil || !strings.Contains(err.Error(), "128-level limit") {
		t.Fatalf("stream: %v", err)
	}
}

package openai

import (
	"errors"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

// TestRequestKeysRefused: a second or case-variant copy of a field the
// gateway routes, prices or rewrites is a 400 naming the key, on the
// pass-through parser and the translating decoder alike.
func TestRequestKeysRefused(t *testing.T) {
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	tests := []struct {
		name, body, param, msg string
	}{
		{"model case-variant", `{"model":"gpt-4o-mini","Model":"o1-pro",` + msgs + `}`, "Model", `duplicate key "Model" (case-variant of "model"): the request must carry each field once`},
		{"model twice", `{"model":"gpt-4o-mini",` + msgs + `,"model":"o1-pro"}`, "model", `duplicate key "model"`},
		{"escaped model", `{"model":"gpt-4o-mini",` + msgs + `,"mod\u0065l":"o1-pro"}`, "model", `duplicate key "model"`},
		{"stream variant", `{"model":"m",` + msgs + `,"STREAM":true}`, "STREAM", `case-variant of "stream"`},
		{"max_tokens twice", `{"model":"m",` + msgs + `,"max_tokens":1,"max_tokens":100000}`, "max_tokens", `duplicate key "max_tokens"`},
		{"max_completion_tokens kelvin", `{"model":"m",` + msgs + `,"max_completion_to\u212aens":100000}`, "max_completion_to\u212aens", `case-variant of "max_completion_tokens"`},
		{"n variant", `{"model":"m",` + msgs + `,"N":5}`, "N", `case-variant of "n"`},
		{"messages twice", `{"model":"m",` + msgs + `,` + msgs + `}`, "messages", `duplicate key "messages"`},
		{"tools variant", `{"model":"m",` + msgs + `,"Tools":[]}`, "Tools", `case-variant of "tools"`},
		{"include_usage twice", `{"model":"m",` + msgs + `,"stream":true,"stream_options":{"include_usage":false,"include_usage":true}}`, "stream_options.include_usage", `duplicate key "stream_options.include_usage"`},
		{"stream_options variant", `{"model":"m",` + msgs + `,"stream":true,"stream_options":{},"Stream_Options":{}}`, "Stream_Options", `case-variant of "stream_options"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := ParseChat([]byte(tt.body))
			if e == nil || e.Status != 400 || e.Param != tt.param || !strings.Contains(e.Message, tt.msg) {
				t.Fatalf("ParseChat = %+v; want a 400 on %q saying %q", e, tt.param, tt.msg)
			}
			_, err := DecodeRequest([]byte(tt.body))
			var inv *wire.Invalid
			if !errors.As(err, &inv) || inv.Field != tt.param || !strings.Contains(inv.Reason, tt.msg) {
				t.Fatalf("DecodeRequest = %v; want *wire.Invalid on %q saying %q", err, tt.param, tt.msg)
			}
		})
	}
}

func TestRequestJSONErrorsNameTheByte(t *testing.T) {
	tests := []struct{ name, body, msg string }{
		{"depth", `{"model":"m","messages":` + strings.Repeat("[", 6_000_000), "nesting deeper than the 128-level limit at byte 152"},
		{"syntax", `{"model":"m",}`, `invalid character '}', expected a string object key at byte 14`},
		{"utf-8", "{\"model\":\"m\xff\"}", "invalid UTF-8 byte 0xff in a string at byte 12"},
		{"empty", ``, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := ParseChat([]byte(tt.body))
			if e == nil || e.Status != 400 || e.Code != "invalid_json" || !strings.Contains(e.Message, tt.msg) {
				t.Fatalf("ParseChat = %+v; want a 400 saying %q", e, tt.msg)
			}
			if _, err := DecodeRequest([]byte(tt.body)); err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("DecodeRequest = %v; want %q", err, tt.msg)
			}
		})
	}
}

func TestUpstreamDepthIsADecodeError(t *testing.T) {
	deep := []byte(`{"choices":` + strings.Repeat("[", 200000))
	if _, err := DecodeResponse(deep); err == nil || !strings.Contains(err.Error(), "128-level limit") {
		t.Fatalf("DecodeResponse = %v", err)
	}
	if e := DecodeError(500, nil, deep); e == nil || e.Message == "" {
		t.Fatalf("DecodeError = %+v", e)
	}
}

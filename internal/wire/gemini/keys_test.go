package gemini

import (
	"errors"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

// TestRequestKeysRefused: a field Gemini reads may come once, in lowerCamel
// or snake_case, and in no other case.
func TestRequestKeysRefused(t *testing.T) {
	const contents = `"contents":[{"role":"user","parts":[{"text":"hi"}]}]`
	tests := []struct{ name, body, field, msg string }{
		{"contents twice", `{` + contents + `,` + contents + `}`, "contents", `duplicate key "contents"`},
		{"contents case-variant", `{` + contents + `,"Contents":[]}`, "Contents", `case-variant of "contents"`},
		{"camel and snake copies", `{` + contents + `,"generationConfig":{},"generation_config":{"maxOutputTokens":9}}`, "generation_config", `duplicate key "generation_config"`},
		{"nested limit twice", `{` + contents + `,"generationConfig":{"maxOutputTokens":5,"max_output_tokens":50000}}`, "generationConfig.max_output_tokens", `duplicate key "generationConfig.max_output_tokens"`},
		{"nested case-variant", `{` + contents + `,"generationConfig":{"MaxOutputTokens":50000}}`, "generationConfig.MaxOutputTokens", `case-variant of "generationConfig.maxOutputTokens"`},
		{"model variant", `{` + contents + `,"model":"a","MODEL":"b"}`, "MODEL", `case-variant of "model"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRequest([]byte(tt.body))
			var inv *wire.Invalid
			if !errors.As(err, &inv) || inv.Field != tt.field || !strings.Contains(inv.Reason, tt.msg) {
				t.Fatalf("got %v; want *wire.Invalid on %q saying %q", err, tt.field, tt.msg)
			}
		})
	}
	// One spelling each, either convention, passes.
	for _, body := range []string{
		`{` + contents + `,"generation_config":{"max_output_tokens":5}}`,
		`{` + contents + `,"system_instruction":{"parts":[{"text":"x"}]},"generationConfig":{"maxOutputTokens":5}}`,
	} {
		if _, err := DecodeRequest([]byte(body)); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
}

func TestJSONDepthAndSyntax(t *testing.T) {
	if _, err := DecodeRequest([]byte(strings.Repeat("[", 6_000_000))); err == nil || !strings.Contains(err.Error(), "128-level limit at byte 129") {
		t.Fatalf("request: %v", err)
	}
	if _, err := DecodeRequest([]byte(`{"contents":[}`)); err == nil || !strings.Contains(err.Error(), "at byte 14") {
		t.Fatalf("request: %v", err)
	}
	deep := []byte(`{"candidates":` + strings.Repeat("[", 200000))
	if _, err := DecodeResponse(deep); err == nil || !strings.Contains(err.Error(), "128-level limit") {
		t.Fatalf("response: %v", err)
	}
	if e := DecodeError(500, nil, deep); e == nil || e.Message == "" {
		t.Fatalf("DecodeError = %+v", e)
	}
}

func TestStreamChunkDepth(t *testing.T) {
	d := NewStreamDecoder(strings.NewReader("data: {\"candidates\":" + strings.Repeat("[", 200000) + "\r\n\r\n"))
	if _, err := d.Next(nil); err == nil || !strings.Contains(err.Error(), "128-level limit") {
		t.Fatalf("stream: %v", err)
	}
}

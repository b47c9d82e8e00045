package bedrock

import (
	"errors"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

func TestRequestKeysRefused(t *testing.T) {
	const msgs = `"messages":[{"role":"user","content":[{"text":"hi"}]}]`
	tests := []struct{ name, body, field, msg string }{
		{"messages twice", `{` + msgs + `,` + msgs + `}`, "messages", `duplicate key "messages"`},
		{"system variant", `{` + msgs + `,"System":[{"text":"x"}]}`, "System", `case-variant of "system"`},
		{"maxTokens twice", `{` + msgs + `,"inferenceConfig":{"maxTokens":5,"maxTokens":50000}}`, "inferenceConfig.maxTokens", `duplicate key "inferenceConfig.maxTokens"`},
		{"maxTokens variant", `{` + msgs + `,"inferenceConfig":{"MaxTokens":50000}}`, "inferenceConfig.MaxTokens", `case-variant of "inferenceConfig.maxTokens"`},
		{"inferenceConfig twice", `{` + msgs + `,"inferenceConfig":{},"inferenceconfig":{}}`, "inferenceconfig", `case-variant of "inferenceConfig"`},
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
}

func TestJSONDepthAndSyntax(t *testing.T) {
	if _, err := DecodeRequest([]byte(strings.Repeat("[", 6_000_000))); err == nil || !strings.Contains(err.Error(), "128-level limit at byte 129") {
		t.Fatalf("request: %v", err)
	}
	if _, err := DecodeRequest([]byte(`{"messages":[}`)); err == nil || !strings.Contains(err.Error(), "at byte 14") {
		t.Fatalf("request: %v", err)
	}
	deep := []byte(`{"output":` + strings.Repeat("[", 200000))
	if _, err := DecodeResponse(deep); err == nil || !strings.Contains(err.Error(), "128-level limit") {
		t.Fatalf("response: %v", err)
	}
	if e := DecodeError(500, nil, deep); e == nil || e.Message == "" {
		t.Fatalf("DecodeError = %+v", e)
	}
}

package anthropic

import (
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/tidwall/gjson"
)

func TestRewriteModel(t *testing.T) {
	in := []byte(`{"model":"claude","max_tokens":5,"system":[{"type":"text","text":"s","cache_control":{"type":"ephemeral"}}],"messages":[]}`)
	out, err := RewriteModel(in, "claude-sonnet-4-5")
	if err != nil {
		t.Fatal(err)
	}
	if m := gjson.GetBytes(out, "model").Str; m != "claude-sonnet-4-5" {
		t.Errorf("model %q", m)
	}
	if !gjson.GetBytes(out, "system.0.cache_control").Exists() {
		t.Errorf("cache_control lost: %s", out)
	}
}

func TestTally(t *testing.T) {
	var whole Tally
	whole.Message([]byte(`{"usage":{"input_tokens":10,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000,"output_tokens":7}}`))
	want := wire.Usage{Prompt: 1110, Completion: 7, Cached: 1000, CacheWrite: 100}
	if u, ok := whole.Usage(); !ok || u != want {
		t.Errorf("message usage %+v %v, want %+v", u, ok, want)
	}

	var s Tally
	if _, ok := s.Usage(); ok {
		t.Error("usage before any event")
	}
	s.Event([]byte("message_start"), []byte(`{"type":"message_start","message":{"usage":{"input_tokens":10,"cache_read_input_tokens":1000,"output_tokens":1}}}`))
	s.Event([]byte("content_block_delta"), []byte(`{"usage":{"output_tokens":999}}`)) // not a usage event
	s.Event([]byte("message_delta"), []byte(`{"type":"message_delta","usage":{"output_tokens":42}}`))
	want = wire.Usage{Prompt: 1010, Completion: 42, Cached: 1000}
	if u, ok := s.Usage(); !ok || u != want {
		t.Errorf("stream usage %+v %v, want %+v", u, ok, want)
	}
}

package jsoncheck

import (
	"errors"
	"strings"
	"testing"
)

var chatWatch = NewWatch("model", "stream", "stream_options.include_usage", "max_tokens", "max_completion_tokens", "n", "tools", "messages")

func TestWatch(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		param string // "" when the body passes
		msg   string
	}{
		{"plain", `{"model":"a","messages":[],"stream":true,"stream_options":{"include_usage":true}}`, "", ""},
		{"unwatched keys may repeat", `{"model":"a","user":"x","user":"y","metadata":{"model":1,"Model":2}}`, "", ""},
		{"nested objects of other keys are not watched", `{"messages":[{"model":"a","model":"b"}],"x":{"n":1,"N":2}}`, "", ""},
		{"root array is not watched", `[{"model":"a","model":"b"}]`, "", ""},
		{"case-variant copy", `{"model":"gpt-4o-mini","Model":"o1-pro"}`, "Model", `duplicate key "Model" (case-variant of "model"): the request must carry each field once`},
		{"exact copy", `{"model":"a","stream":false,"model":"b"}`, "model", `duplicate key "model": the request must carry each field once`},
		{"variant alone", `{"Stream":true,"model":"a"}`, "Stream", `key "Stream" is a case-variant of "stream"`},
		{"variant first", `{"MODEL":"o1-pro","model":"a"}`, "MODEL", `case-variant of "model"`},
		{"escaped exact copy", `{"model":"a","mod\u0065l":"b"}`, "model", `duplicate key "model"`},
		{"escaped variant", `{"model":"a","\u004dodel":"b"}`, "Model", `case-variant of "model"`},
		{"kelvin sign folds to k", `{"max_tokens":1,"max_to\u212aens":9}`, "max_to\u212aens", `case-variant of "max_tokens"`},
		{"raw kelvin sign", "{\"max_to\u212aens\":9}", "max_to\u212aens", `case-variant`},
		{"long s folds to s", `{"ſtream":true}`, "ſtream", `case-variant of "stream"`},
		{"nested duplicate", `{"stream":true,"stream_options":{"include_usage":false,"include_usage":true}}`, "stream_options.include_usage", `duplicate key "stream_options.include_usage"`},
		{"nested variant", `{"stream":true,"stream_options":{"Include_Usage":true}}`, "stream_options.Include_Usage", `case-variant of "stream_options.include_usage"`},
		{"two stream_options", `{"stream_options":{},"stream_options":null}`, "stream_options", `duplicate key "stream_options"`},
		{"nested object seen fresh per copy? no: the copy itself is refused", `{"stream_options":{"include_usage":true},"Stream_options":{"include_usage":true}}`, "Stream_options", "case-variant"},
		{"stream_options as array is not descended", `{"stream_options":[{"include_usage":1,"include_usage":2}]}`, "", ""},
		{"prefix of a name is a different key", `{"mode":"x","modell":"y","model":"a"}`, "", ""},
		{"long keys", `{"` + strings.Repeat("m", 5000) + `":1,"model":"a"}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := chatWatch.Check([]byte(tt.in))
			if tt.param == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			var d *DupError
			if !errors.As(err, &d) {
				t.Fatalf("got %v, want *DupError", err)
			}
			if d.Param() != tt.param || !strings.Contains(d.Error(), tt.msg) {
				t.Fatalf("got param %q, %q; want param %q, message containing %q", d.Param(), d.Error(), tt.param, tt.msg)
			}
			if tt.in[d.Offset-1] != '"' {
				t.Fatalf("offset %d does not point at a key's quote", d.Offset)
			}
		})
	}
}

func TestWatchStillChecksSyntaxAndDepth(t *testing.T) {
	for _, in := range []string{`{"model":"a"`, strings.Repeat(`{"model":`, 200), "{\"model\":\"\xff\"}"} {
		var e *Error
		if err := chatWatch.Check([]byte(in)); !errors.As(err, &e) {
			t.Errorf("Check(%.30q) = %v, want *Error", in, err)
		}
	}
}

func TestSnakeWatch(t *testing.T) {
	w := NewSnakeWatch("contents", "generationConfig.maxOutputTokens", "generationConfig.candidateCount", "model")
	tests := []struct {
		in, param string
	}{
		{`{"contents":[],"generationConfig":{"maxOutputTokens":5}}`, ""},
		{`{"contents":[],"generation_config":{"max_output_tokens":5}}`, ""},
		{`{"contents":[],"generationConfig":{},"generation_config":{}}`, "generation_config"},
		{`{"contents":[],"generationConfig":{"maxOutputTokens":5,"max_output_tokens":9}}`, "generationConfig.max_output_tokens"},
		{`{"contents":[],"generationConfig":{"MaxOutputTokens":5}}`, "generationConfig.MaxOutputTokens"},
		{`{"Contents":[]}`, "Contents"},
		{`{"contents":[],"model":"a","_model":"b"}`, "_model"},
	}
	for _, tt := range tests {
		err := w.Check([]byte(tt.in))
		var d *DupError
		switch {
		case tt.param == "" && err != nil:
			t.Errorf("%s: got %v", tt.in, err)
		case tt.param != "" && (!errors.As(err, &d) || d.Param() != tt.param):
			t.Errorf("%s: got %v, want a DupError on %q", tt.in, err, tt.param)
		}
	}
}

package openai

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/sse"
)

func chunk(choice string) string {
	return `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[` + choice + `]}` + "\n\n"
}

func TestStreamDecoder(t *testing.T) {
	start := wire.Event{Kind: wire.EventStart, ID: "c", Model: "m"}
	tests := []struct {
		name    string
		in      string
		want    []wire.Event
		wantErr error // nil: io.EOF
	}{
		{"text, tool, text again: three blocks",
			chunk(`{"index":0,"delta":{"content":"a"}}`) +
				chunk(`{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]}}`) +
				chunk(`{"index":0,"delta":{"content":"b"}}`) +
				chunk(`{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":" "}}]}}`) +
				"data: [DONE]\n\n",
			[]wire.Event{start, {Kind: wire.EventText, Index: 0, Text: "a"},
				{Kind: wire.EventToolStart, Index: 1, ID: "t", Name: "f"}, {Kind: wire.EventToolArgs, Index: 1, Text: "{}"},
				{Kind: wire.EventText, Index: 2, Text: "b"}, {Kind: wire.EventToolArgs, Index: 1, Text: " "}}, nil},
		{"calls without index are told apart by id",
			chunk(`{"index":0,"delta":{"tool_calls":[{"id":"x","function":{"name":"f","arguments":"{\"a\""}}]}}`) +
				chunk(`{"index":0,"delta":{"tool_calls":[{"function":{"arguments":":1}"}}]}}`) +
				chunk(`{"index":0,"delta":{"tool_calls":[{"id":"y","function":{"name":"g","arguments":"{}"}}]}}`) +
				"data: [DONE]\n\n",
			[]wire.Event{start, {Kind: wire.EventToolStart, Index: 0, ID: "x", Name: "f"}, {Kind: wire.EventToolArgs, Index: 0, Text: `{"a"`},
				{Kind: wire.EventToolArgs, Index: 0, Text: ":1}"},
				{Kind: wire.EventToolStart, Index: 1, ID: "y", Name: "g"}, {Kind: wire.EventToolArgs, Index: 1, Text: "{}"}}, nil},
		{"an index reused with a new id is a new call",
			chunk(`{"index":0,"delta":{"tool_calls":[{"index":0,"id":"x","function":{"name":"f","arguments":"{}"}}]}}`) +
				chunk(`{"index":0,"delta":{"tool_calls":[{"index":0,"id":"y","function":{"name":"g","arguments":"{}"}}]}}`) +
				"data: [DONE]\n\n",
			[]wire.Event{start, {Kind: wire.EventToolStart, Index: 0, ID: "x", Name: "f"}, {Kind: wire.EventToolArgs, Index: 0, Text: "{}"},
				{Kind: wire.EventToolStart, Index: 1, ID: "y", Name: "g"}, {Kind: wire.EventToolArgs, Index: 1, Text: "{}"}}, nil},
		{"other choices, refusal, error null, one finish only",
			chunk(`{"index":1,"delta":{"content":"other"}},{"index":0,"delta":{"refusal":"no"}}`) +
				`data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"length"}],"error":null}` + "\n\n" +
				chunk(`{"index":0,"delta":{},"finish_reason":"stop"}`) +
				"data: [DONE]\n\n",
			[]wire.Event{start, {Kind: wire.EventText, Index: 0, Text: "no"}, {Kind: wire.EventFinish, Finish: wire.FinishLength}}, nil},
		{"usage chunk without choices (vLLM null) and CRLF",
			strings.ReplaceAll(chunk(`{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}`)+
				`data: {"id":"c","choices":null,"usage":{"prompt_tokens":5,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":{"reasoning_tokens":1}}}`+"\n\n"+
				"data: [DONE]\n\n", "\n", "\r\n"),
			[]wire.Event{start, {Kind: wire.EventText, Index: 0, Text: "a"}, {Kind: wire.EventFinish, Finish: wire.FinishStop},
				{Kind: wire.EventUsage, Usage: wire.Usage{Prompt: 5, Completion: 1, Cached: 2, Reasoning: 1}}}, nil},
		{"EOF after the finish without [DONE] is clean",
			chunk(`{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}`),
			[]wire.Event{start, {Kind: wire.EventText, Index: 0, Text: "a"}, {Kind: wire.EventFinish, Finish: wire.FinishStop}}, nil},
		{"EOF before the finish is a broken stream",
			chunk(`{"index":0,"delta":{"content":"a"}}`),
			[]wire.Event{start, {Kind: wire.EventText, Index: 0, Text: "a"}}, io.ErrUnexpectedEOF},
		{"empty stream", "", nil, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := decodeAll(strings.NewReader(tt.in))
			if err != tt.wantErr {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(evs, tt.want) {
				t.Errorf("events:\n%s\nwant\n%s", dumpEvents(evs), dumpEvents(tt.want))
			}
		})
	}
}

func dumpEvents(evs []wire.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		b.Write(dumpLine(viewEvent(ev)))
	}
	return b.String()
}

func TestStreamDecoderErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		kind wire.ErrorKind // 0: not a *wire.Error
		msg  string
	}{
		{"error object", chunk(`{"index":0,"delta":{"content":"a"}}`) + `data: {"error":{"message":"Rate limited","type":"rate_limit_error"}}` + "\n\ndata: [DONE]\n\n", wire.ErrRateLimit, "Rate limited"},
		{"error string", `data: {"error":"boom"}` + "\n\n", wire.ErrServer, "boom"},
		{"garbage", "data: {not json\n\n", 0, "not valid JSON"},
		{"not an object", "data: [1]\n\n", 0, "not a JSON object"},
		{"line too long", "data: \"" + strings.Repeat("x", maxChunkLine+10) + "\"\n\n", 0, "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewStreamDecoder(strings.NewReader(tt.in))
			var err error
			for i := 0; i < 10 && err == nil; i++ {
				_, err = d.Next(nil)
			}
			var we *wire.Error
			isWire := errors.As(err, &we)
			if err == nil || err == io.EOF || isWire != (tt.kind != 0) || (isWire && we.Kind != tt.kind) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v (%T), want kind %d containing %q", err, err, tt.kind, tt.msg)
			}
			if tt.name == "line too long" && !errors.Is(err, sse.ErrLineTooLong) {
				t.Errorf("err = %v, want it to wrap sse.ErrLineTooLong", err)
			}
			if _, again := d.Next(nil); again != err {
				t.Errorf("the error is not sticky: then %v", again)
			}
		})
	}
}

func TestStreamDecoderAppendsAndEnds(t *testing.T) {
	d := NewStreamDecoder(strings.NewReader(chunk(`{"index":0,"delta":{"content":"a"}}`) + "data: [DONE]\n\ndata: {\"ignored\":true}\n\n"))
	prev := []wire.Event{{Kind: wire.EventText, Text: "kept"}}
	evs, err := d.Next(prev)
	if err != nil || len(evs) != 3 || evs[0].Text != "kept" || evs[2].Text != "a" {
		t.Fatalf("Next = %v, %v", evs, err)
	}
	for i := 0; i < 2; i++ {
		if evs, err := d.Next(nil); err != io.EOF || len(evs) != 0 {
			t.Fatalf("after [DONE]: %v, %v", evs, err)
		}
	}
	// Reset reads a new stream with fresh state.
	d.Reset(strings.NewReader(chunk(`{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t","function":{"name":"f"}}]}}`) + "data: [DONE]\n\n"))
	evs, err = d.Next(nil)
	if err != nil || len(evs) != 2 || evs[0].Kind != wire.EventStart || evs[1].Index != 0 || evs[1].ID != "t" {
		t.Fatalf("after Reset: %v, %v", evs, err)
	}
}

func encodeAll(enc *StreamEncoder, evs []wire.Event) string {
	var out []byte
	for i := range evs {
		out = enc.Append(out, &evs[i])
	}
	return string(enc.End(out))
}

func TestStreamEncoder(t *testing.T) {
	const head = `data: {"id":"i","object":"chat.completion.chunk","created":5,"model":"m",`
	role := head + `"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}` + "\n\n"
	usage := head + `"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"prompt_tokens_details":{"cached_tokens":1,"cache_write_tokens":1},"completion_tokens_details":{"reasoning_tokens":1}}}` + "\n\n"
	done := "data: [DONE]\n\n"
	u := wire.Usage{Prompt: 3, Completion: 2, Cached: 1, CacheWrite: 1, Reasoning: 1}
	tests := []struct {
		name  string
		usage bool
		evs   []wire.Event
		want  string
	}{
		{"text, usage after finish", true,
			[]wire.Event{{Kind: wire.EventStart}, {Kind: wire.EventText, Text: "hé\"\n"}, {Kind: wire.EventFinish, Finish: wire.FinishLength}, {Kind: wire.EventUsage, Usage: u}},
			role + head + `"choices":[{"index":0,"delta":{"content":"hé\"\n"},"logprobs":null,"finish_reason":null}]}` + "\n\n" +
				head + `"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}]}` + "\n\n" + usage + done},
		{"usage before finish gives the same frames", true,
			[]wire.Event{{Kind: wire.EventStart}, {Kind: wire.EventText, Text: "hé\"\n"}, {Kind: wire.EventUsage, Usage: u}, {Kind: wire.EventFinish, Finish: wire.FinishLength}},
			role + head + `"choices":[{"index":0,"delta":{"content":"hé\"\n"},"logprobs":null,"finish_reason":null}]}` + "\n\n" +
				head + `"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}]}` + "\n\n" + usage + done},
		{"usage on start only", true,
			[]wire.Event{{Kind: wire.EventStart, Usage: u}, {Kind: wire.EventFinish, Finish: wire.FinishStop}},
			role + head + `"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}` + "\n\n" + usage + done},
		{"no usage asked, no finish sent, tool calls", false,
			[]wire.Event{{Kind: wire.EventToolStart, Index: 4, ID: "t", Name: "f"}, {Kind: wire.EventToolArgs, Index: 9, Text: "lost"},
				{Kind: wire.EventToolArgs, Index: 4, Text: "{}"}, {Kind: wire.EventToolArgs, Index: 4}, {Kind: wire.EventText}, {Kind: wire.EventBlockEnd, Index: 4},
				{Kind: wire.EventThinking, Signature: "only a signature"}, {Kind: wire.EventUsage, Usage: u}},
			role + head + `"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t","type":"function","function":{"name":"f","arguments":""}}]},"logprobs":null,"finish_reason":null}]}` + "\n\n" +
				head + `"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]},"logprobs":null,"finish_reason":null}]}` + "\n\n" +
				head + `"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}` + "\n\n" + done},
		{"reasoning", false,
			[]wire.Event{{Kind: wire.EventStart}, {Kind: wire.EventThinking, Text: "hmm"}, {Kind: wire.EventFinish, Finish: wire.FinishStop}, {Kind: wire.EventFinish, Finish: wire.FinishLength}},
			role + head + `"choices":[{"index":0,"delta":{"reasoning_content":"hmm"},"logprobs":null,"finish_reason":null}]}` + "\n\n" +
				head + `"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}` + "\n\n" + done},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := NewStreamEncoder("i", "m", 5, tt.usage)
			got := encodeAll(enc, tt.evs)
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			// Once ended, the encoder writes nothing more.
			if more := enc.Fail(enc.End(enc.Append(nil, &wire.Event{Kind: wire.EventText, Text: "x"})), &wire.Error{}); len(more) != 0 {
				t.Errorf("after End: %s", more)
			}
		})
	}
}

func TestStreamEncoderFail(t *testing.T) {
	enc := NewStreamEncoder("i", "m", 5, true)
	out := enc.Append(nil, &wire.Event{Kind: wire.EventText, Text: "a"})
	out = enc.Fail(out, &wire.Error{Kind: wire.ErrRateLimit, Message: "stop"})
	want := `data: {"error":{"message":"stop","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}` + "\n\ndata: [DONE]\n\n"
	if !strings.HasSuffix(string(out), want) || strings.Count(string(out), "data: ") != 4 {
		t.Errorf("got\n%s", out)
	}
	if more := enc.End(nil); len(more) != 0 {
		t.Errorf("End after Fail wrote %s", more)
	}
}

// TestStreamRoundTrip: events the OpenAI format can carry come back from the
// encoder's frames unchanged (the id and model become the encoder's).
func TestStreamRoundTrip(t *testing.T) {
	evs := []wire.Event{
		{Kind: wire.EventStart, ID: "chatcmpl-rt", Model: "client"},
		{Kind: wire.EventThinking, Index: 0, Text: "step 1\n"},
		{Kind: wire.EventThinking, Index: 0, Text: "step 2"},
		{Kind: wire.EventText, Index: 1, Text: "Answer: "},
		{Kind: wire.EventText, Index: 1, Text: "\"42\" ✓ \u2028"},
		{Kind: wire.EventToolStart, Index: 2, ID: "call_1", Name: "f"},
		{Kind: wire.EventToolArgs, Index: 2, Text: `{"q":`},
		{Kind: wire.EventToolStart, Index: 3, ID: "call_2", Name: "g"},
		{Kind: wire.EventToolArgs, Index: 2, Text: `"x"}`},
		{Kind: wire.EventToolArgs, Index: 3, Text: `{}`},
		{Kind: wire.EventText, Index: 4, Text: "after"},
		{Kind: wire.EventFinish, Finish: wire.FinishToolCalls},
		{Kind: wire.EventUsage, Usage: wire.Usage{Prompt: 7, Completion: 5, Cached: 3, CacheWrite: 2, Reasoning: 4}},
	}
	frames := encodeAll(NewStreamEncoder("chatcmpl-rt", "client", 9, true), evs)
	got, err := decodeAll(strings.NewReader(frames))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, evs) {
		t.Errorf("through\n%s\ngot\n%s\nwant\n%s", frames, dumpEvents(got), dumpEvents(evs))
	}
}

// TestStreamGoldensHaveValidFrames: every frame the encoder wrote for the
// golden streams is one valid JSON chunk without "usage":null or
// "error":null (openai-go aborts a stream on any "error" key).
func TestStreamGoldensHaveValidFrames(t *testing.T) {
	for _, name := range []string{"openai_text", "openai_tools", "azure", "vllm_reasoning", "ollama_tools", "error_midstream"} {
		out := mustRead(t, "testdata/stream/"+name+".out.golden")
		frames := bytes.Split(bytes.TrimSuffix(out, []byte("\n\n")), []byte("\n\n"))
		if string(frames[len(frames)-1]) != "data: [DONE]" {
			t.Errorf("%s does not end with [DONE]", name)
		}
		for _, f := range frames[:len(frames)-1] {
			data, ok := bytes.CutPrefix(f, []byte("data: "))
			if !ok || !jsonObject(data) || bytes.Contains(data, []byte(`"usage":null`)) || bytes.Contains(data, []byte(`"error":null`)) {
				t.Errorf("%s: bad frame %q", name, f)
			}
		}
	}
}

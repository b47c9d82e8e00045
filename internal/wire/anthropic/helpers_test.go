package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

// The canonical values, as readable JSON for golden files: kinds by name,
// zero fields left out.

type partView struct {
	Kind      string          `json:"kind"`
	Text      string          `json:"text,omitempty"`
	MediaType string          `json:"media_type,omitempty"`
	Data      string          `json:"data,omitempty"`
	URL       string          `json:"url,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Args      json.RawMessage `json:"args,omitempty"`
	Parts     []partView      `json:"parts,omitempty"`
	IsError   bool            `json:"is_error,omitempty"`
	Signature string          `json:"signature,omitempty"`
}

var partKinds = map[wire.PartKind]string{wire.Text: "text", wire.Image: "image", wire.ToolCall: "tool_call", wire.ToolResult: "tool_result", wire.Thinking: "thinking"}

func viewParts(ps []wire.Part) []partView {
	var out []partView
	for _, p := range ps {
		out = append(out, partView{
			Kind: partKinds[p.Kind], Text: p.Text, MediaType: p.MediaType, Data: p.Data, URL: p.URL,
			ID: p.ID, Name: p.Name, Args: p.Args, Parts: viewParts(p.Parts), IsError: p.IsError, Signature: p.Signature,
		})
	}
	return out
}

func dumpRequest(r *wire.Request) []byte {
	type msg struct {
		Role  string     `json:"role"`
		Parts []partView `json:"parts"`
	}
	v := struct {
		Model        string      `json:"model"`
		System       []partView  `json:"system,omitempty"`
		Messages     []msg       `json:"messages"`
		MaxTokens    int         `json:"max_tokens,omitempty"`
		Temperature  *float64    `json:"temperature,omitempty"`
		TopP         *float64    `json:"top_p,omitempty"`
		Stop         []string    `json:"stop,omitempty"`
		Tools        []wire.Tool `json:"tools,omitempty"`
		ToolChoice   any         `json:"tool_choice,omitempty"`
		Output       any         `json:"output,omitempty"`
		Stream       bool        `json:"stream,omitempty"`
		IncludeUsage bool        `json:"include_usage,omitempty"`
		Extra        []string    `json:"extra,omitempty"`
	}{
		Model: r.Model, System: viewParts(r.System), MaxTokens: r.MaxTokens, Temperature: r.Temperature, TopP: r.TopP,
		Stop: r.Stop, Tools: r.Tools, Stream: r.Stream, IncludeUsage: r.IncludeUsage, Extra: r.Extra,
	}
	for _, m := range r.Messages {
		v.Messages = append(v.Messages, msg{m.Role.String(), viewParts(m.Parts)})
	}
	if tc := r.ToolChoice; tc != (wire.ToolChoice{}) {
		v.ToolChoice = struct {
			Mode       string `json:"mode"`
			Name       string `json:"name,omitempty"`
			NoParallel bool   `json:"no_parallel,omitempty"`
		}{[...]string{"", "auto", "none", "required", "named"}[tc.Mode], tc.Name, tc.NoParallel}
	}
	if o := r.Output; o.Kind != 0 {
		v.Output = struct {
			Kind   string          `json:"kind"`
			Name   string          `json:"name,omitempty"`
			Schema json.RawMessage `json:"schema,omitempty"`
			Strict bool            `json:"strict,omitempty"`
		}{[...]string{"", "json", "json_schema"}[o.Kind], o.Name, o.Schema, o.Strict}
	}
	return marshalIndent(v)
}

func dumpResponse(r *wire.Response) []byte {
	return marshalIndent(struct {
		ID           string     `json:"id"`
		Model        string     `json:"model"`
		Parts        []partView `json:"parts"`
		Finish       string     `json:"finish"`
		StopSequence string     `json:"stop_sequence,omitempty"`
		Usage        wire.Usage `json:"usage"`
		Estimated    bool       `json:"estimated,omitempty"`
	}{r.ID, r.Model, viewParts(r.Parts), r.Finish.String(), r.StopSequence, r.Usage, r.Estimated})
}

var eventKinds = map[wire.EventKind]string{
	wire.EventStart: "start", wire.EventText: "text", wire.EventThinking: "thinking", wire.EventToolStart: "tool_start",
	wire.EventToolArgs: "tool_args", wire.EventBlockEnd: "block_end", wire.EventFinish: "finish", wire.EventUsage: "usage",
}

func dumpEvent(ev wire.Event) []byte {
	v := struct {
		Kind         string      `json:"kind"`
		Index        *int        `json:"index,omitempty"`
		Text         *string     `json:"text,omitempty"`
		ID           string      `json:"id,omitempty"`
		Name         string      `json:"name,omitempty"`
		Model        string      `json:"model,omitempty"`
		Signature    string      `json:"signature,omitempty"`
		Finish       string      `json:"finish,omitempty"`
		StopSequence string      `json:"stop_sequence,omitempty"`
		Usage        *wire.Usage `json:"usage,omitempty"`
	}{Kind: eventKinds[ev.Kind], ID: ev.ID, Name: ev.Name, Model: ev.Model, Signature: ev.Signature, Finish: ev.Finish.String(), StopSequence: ev.StopSequence}
	switch ev.Kind {
	case wire.EventText, wire.EventThinking, wire.EventToolStart, wire.EventToolArgs, wire.EventBlockEnd:
		v.Index = &ev.Index
	}
	switch ev.Kind {
	case wire.EventText, wire.EventThinking, wire.EventToolArgs:
		v.Text = &ev.Text
	case wire.EventStart, wire.EventUsage:
		v.Usage = &ev.Usage
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func marshalIndent(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

// indentJSON pretty-prints an encoder's output for a golden file; invalid
// JSON fails the test.
func indentJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("encoder produced invalid JSON: %v\n%s", err, b)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// decodeAll runs a stream decoder to its end and returns the events and the
// error that ended it (nil for a clean io.EOF).
func decodeAll(r io.Reader) ([]wire.Event, error) {
	d := NewStreamDecoder(r)
	var evs []wire.Event
	for {
		var err error
		evs, err = d.Next(evs)
		if errors.Is(err, io.EOF) {
			return evs, nil
		}
		if err != nil {
			return evs, err
		}
	}
}

// encodeAll runs events through a stream encoder, ending it with End, or
// with Fail when failure is a *wire.Error.
func encodeAll(id, model string, evs []wire.Event, failure error) []byte {
	e := NewStreamEncoder(id, model)
	var out []byte
	for i := range evs {
		out = e.Append(out, &evs[i])
	}
	var we *wire.Error
	if errors.As(failure, &we) {
		return e.Fail(out, we)
	}
	return e.End(out)
}

// summary is what a client makes of a stream: the blocks' content, the
// finish and the final usage.
type summary struct {
	ID, Model    string
	Parts        []wire.Part
	Finish       wire.Finish
	StopSequence string
	Usage        wire.Usage
}

// accumulate folds canonical events into a summary the way a client would,
// ignoring empty deltas and block ends.
func accumulate(evs []wire.Event) summary {
	var s summary
	byIndex := map[int]int{} // canonical index -> position in s.Parts
	part := func(idx int, kind wire.PartKind) *wire.Part {
		if i, ok := byIndex[idx]; ok && s.Parts[i].Kind == kind {
			return &s.Parts[i]
		}
		byIndex[idx] = len(s.Parts)
		s.Parts = append(s.Parts, wire.Part{Kind: kind})
		return &s.Parts[len(s.Parts)-1]
	}
	for _, ev := range evs {
		switch ev.Kind {
		case wire.EventStart:
			s.ID, s.Model = ev.ID, ev.Model
			s.Usage = ev.Usage
		case wire.EventText:
			if ev.Text != "" {
				p := part(ev.Index, wire.Text)
				p.Text += ev.Text
			}
		case wire.EventThinking:
			if ev.Text != "" || ev.Signature != "" {
				p := part(ev.Index, wire.Thinking)
				p.Text += ev.Text
				p.Signature += ev.Signature
			}
		case wire.EventToolStart:
			p := part(ev.Index, wire.ToolCall)
			p.ID, p.Name = ev.ID, ev.Name
		case wire.EventToolArgs:
			p := part(ev.Index, wire.ToolCall)
			p.Args = append(p.Args, ev.Text...)
		case wire.EventFinish:
			s.Finish, s.StopSequence = ev.Finish, ev.StopSequence
		case wire.EventUsage:
			s.Usage = ev.Usage
		}
	}
	return s
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

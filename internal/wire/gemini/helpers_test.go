package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func inputs(t *testing.T, dir, ext string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", dir, "*"+ext))
	if err != nil || len(names) == 0 {
		t.Fatalf("no inputs in testdata/%s: %v", dir, err)
	}
	return names
}

// indent pretty-prints JSON for golden files, or returns it as is when it is
// not JSON (so a broken body shows up in the diff).
func indent(b []byte) []byte {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return b
	}
	out.WriteByte('\n')
	return out.Bytes()
}

var kindNames = map[wire.PartKind]string{wire.Text: "text", wire.Image: "image", wire.ToolCall: "tool_call", wire.ToolResult: "tool_result", wire.Thinking: "thinking"}

// dumpPart and friends give the canonical form a readable JSON shape for
// golden files (kinds and roles by name, zero fields left out).
type dumpPart struct {
	Kind      string          `json:"kind"`
	Text      string          `json:"text,omitempty"`
	MediaType string          `json:"media_type,omitempty"`
	Data      string          `json:"data,omitempty"`
	URL       string          `json:"url,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Args      json.RawMessage `json:"args,omitempty"`
	Parts     []dumpPart      `json:"parts,omitempty"`
	IsError   bool            `json:"is_error,omitempty"`
	Signature string          `json:"signature,omitempty"`
}

func dumpParts(ps []wire.Part) []dumpPart {
	var out []dumpPart
	for _, p := range ps {
		out = append(out, dumpPart{Kind: kindNames[p.Kind], Text: p.Text, MediaType: p.MediaType, Data: p.Data, URL: p.URL,
			ID: p.ID, Name: p.Name, Args: p.Args, Parts: dumpParts(p.Parts), IsError: p.IsError, Signature: p.Signature})
	}
	return out
}

type choice struct {
	Mode       string `json:"mode"`
	Name       string `json:"name,omitempty"`
	NoParallel bool   `json:"no_parallel,omitempty"`
}

type output struct {
	Kind   string          `json:"kind"`
	Name   string          `json:"name,omitempty"`
	Schema json.RawMessage `json:"schema,omitempty"`
	Strict bool            `json:"strict,omitempty"`
}

func dumpRequest(r *wire.Request) []byte {
	type msg struct {
		Role  string     `json:"role"`
		Parts []dumpPart `json:"parts"`
	}
	type tool struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Schema      json.RawMessage `json:"schema,omitempty"`
	}
	var d struct {
		Model       string     `json:"model,omitempty"`
		System      []dumpPart `json:"system,omitempty"`
		Messages    []msg      `json:"messages"`
		MaxTokens   int        `json:"max_tokens,omitempty"`
		Temperature *float64   `json:"temperature,omitempty"`
		TopP        *float64   `json:"top_p,omitempty"`
		Stop        []string   `json:"stop,omitempty"`
		Tools       []tool     `json:"tools,omitempty"`
		ToolChoice  *choice    `json:"tool_choice,omitempty"`
		Output      *output    `json:"output,omitempty"`
		Extra       []string   `json:"extra,omitempty"`
	}
	d.Model, d.System, d.MaxTokens, d.Temperature, d.TopP, d.Stop, d.Extra = r.Model, dumpParts(r.System), r.MaxTokens, r.Temperature, r.TopP, r.Stop, r.Extra
	for _, m := range r.Messages {
		d.Messages = append(d.Messages, msg{m.Role.String(), dumpParts(m.Parts)})
	}
	for _, t := range r.Tools {
		d.Tools = append(d.Tools, tool{t.Name, t.Description, t.Schema})
	}
	if tc := r.ToolChoice; tc != (wire.ToolChoice{}) {
		d.ToolChoice = &choice{[]string{"", "auto", "none", "required", "named"}[tc.Mode], tc.Name, tc.NoParallel}
	}
	if o := r.Output; o.Kind != 0 {
		d.Output = &output{[]string{"", "json", "json_schema"}[o.Kind], o.Name, o.Schema, o.Strict}
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

func dumpResponse(r *wire.Response) []byte {
	d := struct {
		ID     string     `json:"id"`
		Model  string     `json:"model"`
		Parts  []dumpPart `json:"parts"`
		Finish string     `json:"finish"`
		Usage  wire.Usage `json:"usage"`
	}{r.ID, r.Model, dumpParts(r.Parts), r.Finish.String(), r.Usage}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

var eventNames = map[wire.EventKind]string{
	wire.EventStart: "start", wire.EventText: "text", wire.EventThinking: "thinking", wire.EventToolStart: "tool_start",
	wire.EventToolArgs: "tool_args", wire.EventBlockEnd: "block_end", wire.EventFinish: "finish", wire.EventUsage: "usage",
}

// formatEvent writes one event on one line, naming only its set fields.
func formatEvent(ev wire.Event) string {
	var sb strings.Builder
	sb.WriteString(eventNames[ev.Kind])
	switch ev.Kind {
	case wire.EventStart:
		fmt.Fprintf(&sb, " id=%q model=%q", ev.ID, ev.Model)
		if ev.Usage != (wire.Usage{}) {
			fmt.Fprintf(&sb, " usage=%+v", ev.Usage)
		}
	case wire.EventText, wire.EventThinking, wire.EventToolArgs:
		fmt.Fprintf(&sb, " #%d %q", ev.Index, ev.Text)
	case wire.EventToolStart:
		fmt.Fprintf(&sb, " #%d id=%q name=%q", ev.Index, ev.ID, ev.Name)
	case wire.EventBlockEnd:
		fmt.Fprintf(&sb, " #%d", ev.Index)
	case wire.EventFinish:
		fmt.Fprintf(&sb, " %s", ev.Finish)
	case wire.EventUsage:
		fmt.Fprintf(&sb, " %+v", ev.Usage)
	}
	if ev.Signature != "" {
		fmt.Fprintf(&sb, " sig=%q", ev.Signature)
	}
	return sb.String()
}

func f64(v float64) *float64 { return &v }

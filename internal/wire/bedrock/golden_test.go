package bedrock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/wiretest"
)

// Golden tests: testdata/<kind>/<name>.in.json is decoded to canonical form
// (written as <name>.canon.json) and encoded back (<name>.out.json, or
// <name>.err.txt when the encoder refuses). Streams start from canonical
// events (<name>.events.json), are encoded to frames (dumped readably as
// <name>.frames.txt) and decoded back (<name>.decoded.json).
// Run `go test -run Golden -update` to rewrite the expected files.

// noGolden removes a golden file that no longer applies (when updating) or
// fails when one is left over.
func noGolden(t *testing.T, path string) {
	t.Helper()
	if *wiretest.Update {
		_ = os.Remove(path)
		return
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("%s exists but the output has none", path)
	}
}

func indentJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("output is not valid JSON: %v\n%s", err, b)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// marshalIndent renders v as indented JSON without its empty members (null,
// "", false, [] and {}), so that golden files show what is set. Numbers stay,
// zeros included: a temperature of 0 is a setting.
func marshalIndent(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		t.Fatal(err)
	}
	b, err = json.MarshalIndent(prune(tree), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e = prune(e); e == nil {
				delete(x, k)
			} else {
				x[k] = e
			}
		}
		if len(x) == 0 {
			return nil
		}
	case []any:
		for i, e := range x {
			if x[i] = prune(e); x[i] == nil {
				x[i] = map[string]any{} // keep positions in lists
			}
		}
		if len(x) == 0 {
			return nil
		}
	case string:
		if x == "" {
			return nil
		}
	case bool:
		if !x {
			return nil
		}
	}
	return v
}

func inputs(t *testing.T, dir, suffix string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*"+suffix))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/%s/*%s files (%v)", dir, suffix, err)
	}
	sort.Strings(files)
	return files
}

func TestGoldenRequests(t *testing.T) {
	for _, in := range inputs(t, "request", ".in.json") {
		base := strings.TrimSuffix(in, ".in.json")
		t.Run(filepath.Base(base), func(t *testing.T) {
			body, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			req, err := DecodeRequest(body)
			if err != nil {
				t.Fatalf("DecodeRequest: %v", err)
			}
			wiretest.Golden(t, base+".canon.json", marshalIndent(t, req))
			out, err := EncodeRequest(req)
			if err != nil {
				var u *wire.Unsupported
				if !errors.As(err, &u) {
					t.Fatalf("EncodeRequest error %T, want *wire.Unsupported: %v", err, err)
				}
				wiretest.Golden(t, base+".err.txt", []byte(err.Error()+"\n"))
				noGolden(t, base+".out.json")
				return
			}
			noGolden(t, base+".err.txt")
			wiretest.Golden(t, base+".out.json", indentJSON(t, out))
			// The encoder normalises (merges turns, drops blank text), so
			// its output is a fixed point: decoding and encoding it again
			// changes nothing.
			again, err := DecodeRequest(out)
			if err != nil {
				t.Fatalf("DecodeRequest(EncodeRequest(x)): %v", err)
			}
			out2, err := EncodeRequest(again)
			if err != nil {
				t.Fatalf("EncodeRequest(DecodeRequest(EncodeRequest(x))): %v", err)
			}
			if !bytes.Equal(out, out2) {
				t.Errorf("encoding is not a fixed point:\n%s\nthen\n%s", out, out2)
			}
		})
	}
}

func TestGoldenResponses(t *testing.T) {
	for _, in := range inputs(t, "response", ".in.json") {
		base := strings.TrimSuffix(in, ".in.json")
		t.Run(filepath.Base(base), func(t *testing.T) {
			body, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := DecodeResponse(body)
			if err != nil {
				t.Fatalf("DecodeResponse: %v", err)
			}
			wiretest.Golden(t, base+".canon.json", marshalIndent(t, resp))
			out, err := EncodeResponse(resp)
			if err != nil {
				t.Fatalf("EncodeResponse: %v", err)
			}
			wiretest.Golden(t, base+".out.json", indentJSON(t, out))
			again, err := DecodeResponse(out)
			if err != nil {
				t.Fatalf("DecodeResponse(EncodeResponse(x)): %v", err)
			}
			if a, b := marshalIndent(t, again), marshalIndent(t, resp); !bytes.Equal(a, b) {
				t.Errorf("re-decoded response differs:\n%s\nwant\n%s", a, b)
			}
		})
	}
}

// testEvent is a readable JSON form of wire.Event (and of a stream failure).
type testEvent struct {
	Kind         string      `json:"kind"`
	Index        int         `json:"index,omitempty"`
	Text         string      `json:"text,omitempty"`
	ID           string      `json:"id,omitempty"`
	Name         string      `json:"name,omitempty"`
	Signature    string      `json:"signature,omitempty"`
	Finish       string      `json:"finish,omitempty"`
	StopSequence string      `json:"stop_sequence,omitempty"`
	Usage        *wire.Usage `json:"usage,omitempty"`
	Error        *testError  `json:"error,omitempty"`
}

type testError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

var eventKinds = map[string]wire.EventKind{
	"start": wire.EventStart, "text": wire.EventText, "thinking": wire.EventThinking,
	"tool_start": wire.EventToolStart, "tool_args": wire.EventToolArgs, "block_end": wire.EventBlockEnd,
	"finish": wire.EventFinish, "usage": wire.EventUsage,
}

var finishes = map[string]wire.Finish{
	"stop": wire.FinishStop, "length": wire.FinishLength, "tool_calls": wire.FinishToolCalls, "content_filter": wire.FinishContentFilter,
}

var errorKinds = map[string]wire.ErrorKind{
	"invalid_request": wire.ErrInvalidRequest, "authentication": wire.ErrAuthentication, "permission": wire.ErrPermission,
	"not_found": wire.ErrNotFound, "too_large": wire.ErrTooLarge, "rate_limit": wire.ErrRateLimit,
	"server": wire.ErrServer, "overloaded": wire.ErrOverloaded, "timeout": wire.ErrTimeout,
}

func nameOf[K comparable, V comparable](m map[K]V, v V) K {
	for k, x := range m {
		if x == v {
			return k
		}
	}
	var zero K
	return zero
}

// toEvents converts test events to canonical ones; a "fail" entry ends the
// list and is returned as the error to Fail with.
func toEvents(t *testing.T, tes []testEvent) ([]wire.Event, *wire.Error) {
	t.Helper()
	var evs []wire.Event
	for _, te := range tes {
		if te.Kind == "fail" {
			return evs, &wire.Error{Kind: errorKinds[te.Error.Kind], Message: te.Error.Message, Code: te.Error.Code}
		}
		k, ok := eventKinds[te.Kind]
		if !ok {
			t.Fatalf("unknown event kind %q", te.Kind)
		}
		ev := wire.Event{Kind: k, Index: te.Index, Text: te.Text, ID: te.ID, Name: te.Name, Signature: te.Signature,
			Finish: finishes[te.Finish], StopSequence: te.StopSequence}
		if te.Usage != nil {
			ev.Usage = *te.Usage
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

func fromEvents(evs []wire.Event) []testEvent {
	out := make([]testEvent, 0, len(evs))
	for _, ev := range evs {
		te := testEvent{Kind: nameOf(eventKinds, ev.Kind), Index: ev.Index, Text: ev.Text, ID: ev.ID, Name: ev.Name,
			Signature: ev.Signature, Finish: nameOf(finishes, ev.Finish), StopSequence: ev.StopSequence}
		if ev.Kind == wire.EventUsage {
			u := ev.Usage
			te.Usage = &u
		}
		out = append(out, te)
	}
	return out
}

// encodeStream runs events (and an optional failure) through a StreamEncoder.
func encodeStream(evs []wire.Event, fail *wire.Error) []byte {
	enc := NewStreamEncoder()
	var out []byte
	for i := range evs {
		out = enc.Append(out, &evs[i])
	}
	if fail != nil {
		return enc.Fail(out, fail)
	}
	return enc.End(out)
}

// decodeAll reads a whole stream; it returns the events and the error that
// ended it (nil for a clean io.EOF).
func decodeAll(r io.Reader) ([]wire.Event, error) {
	d := NewStreamDecoder(r)
	var evs []wire.Event
	for {
		var err error
		evs, err = d.Next(evs)
		if err == io.EOF {
			return evs, nil
		}
		if err != nil {
			return evs, err
		}
	}
}

// dumpFrames renders eventstream frames one per line, decoded with the SDK's
// codec: the headers in order, then the payload.
func dumpFrames(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	dec := eventstream.NewDecoder()
	r := bytes.NewReader(b)
	for r.Len() > 0 {
		msg, err := dec.Decode(r, nil)
		if err != nil {
			t.Fatalf("SDK codec cannot decode frame at byte %d: %v", len(b)-r.Len(), err)
		}
		for _, h := range msg.Headers {
			fmt.Fprintf(&out, "%s=%s ", h.Name, h.Value)
		}
		out.Write(msg.Payload)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

func TestGoldenStreams(t *testing.T) {
	for _, in := range inputs(t, "stream", ".events.json") {
		base := strings.TrimSuffix(in, ".events.json")
		t.Run(filepath.Base(base), func(t *testing.T) {
			body, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var tes []testEvent
			if err := json.Unmarshal(body, &tes); err != nil {
				t.Fatal(err)
			}
			evs, fail := toEvents(t, tes)
			frames := encodeStream(evs, fail)
			wiretest.Golden(t, base+".frames.txt", dumpFrames(t, frames))

			got, err := decodeAll(bytes.NewReader(frames))
			decoded := fromEvents(got)
			if err != nil {
				var we *wire.Error
				if !errors.As(err, &we) {
					t.Fatalf("decoding the encoder's frames: %v", err)
				}
				decoded = append(decoded, testEvent{Kind: "fail", Error: &testError{Kind: nameOf(errorKinds, we.Kind), Message: we.Message, Code: we.Code}})
			}
			wiretest.Golden(t, base+".decoded.json", marshalIndent(t, decoded))
		})
	}
}

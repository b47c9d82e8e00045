package anthropic

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/wire/wiretest"
)

// Golden tests: each testdata/<kind>/<name>.in.* is decoded to the canonical
// form (<name>.canon.json or <name>.events.jsonl) and encoded back
// (<name>.out.*). Run go test -update to rewrite the outputs after a
// deliberate change, and read the diff.

func inputs(t *testing.T, dir, ext string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.in"+ext))
	if err != nil || len(files) == 0 {
		t.Fatalf("no inputs in testdata/%s: %v", dir, err)
	}
	return files
}

func TestGoldenRequests(t *testing.T) {
	for _, in := range inputs(t, "request", ".json") {
		base := strings.TrimSuffix(in, ".in.json")
		t.Run(filepath.Base(base), func(t *testing.T) {
			body, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			r, err := DecodeRequest(body)
			if err != nil {
				t.Fatalf("DecodeRequest: %v", err)
			}
			wiretest.Golden(t, base+".canon.json", dumpRequest(r))
			out, err := EncodeRequest(r)
			var got []byte
			if err != nil {
				got = []byte("error: " + err.Error() + "\n")
			} else {
				got = indentJSON(t, out)
			}
			wiretest.Golden(t, base+".out.json", got)
		})
	}
}

func TestGoldenResponses(t *testing.T) {
	for _, in := range inputs(t, "response", ".json") {
		base := strings.TrimSuffix(in, ".in.json")
		t.Run(filepath.Base(base), func(t *testing.T) {
			body, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			r, err := DecodeResponse(body)
			if err != nil {
				t.Fatalf("DecodeResponse: %v", err)
			}
			wiretest.Golden(t, base+".canon.json", dumpResponse(r))
			out, err := EncodeResponse(r)
			if err != nil {
				t.Fatalf("EncodeResponse: %v", err)
			}
			wiretest.Golden(t, base+".out.json", indentJSON(t, out))
		})
	}
}

func TestGoldenStreams(t *testing.T) {
	for _, in := range inputs(t, "stream", ".sse") {
		base := strings.TrimSuffix(in, ".in.sse")
		t.Run(filepath.Base(base), func(t *testing.T) {
			body, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			evs, failure := decodeAll(bytes.NewReader(body))
			var dump bytes.Buffer
			for _, ev := range evs {
				dump.Write(dumpEvent(ev))
				dump.WriteByte('\n')
			}
			if failure != nil {
				dump.WriteString("error: " + failure.Error() + "\n")
			}
			wiretest.Golden(t, base+".events.jsonl", dump.Bytes())
			wiretest.Golden(t, base+".out.sse", encodeAll("", "", evs, failure))
		})
	}
}

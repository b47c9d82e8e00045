package jsonw

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quote " and \ backslash`, "line\nbreak\ttab\rcr", "\x00\x01\x1f\x7f",
		"héllo wörld ✓ 🚂", "bad \xff utf8 \xc3", "js \u2028 and \u2029", "<html> & co",
	} {
		got := String(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q: %s is not JSON: %v", s, got, err)
		}
		if want := viaEncodingJSON(s); back != want {
			t.Errorf("%q: round trip gave %q", s, back)
		}
		if string(String(nil, []byte(s))) != string(got) {
			t.Errorf("%q: []byte and string differ", s)
		}
		if strings.ContainsAny(string(got), "\u2028\u2029") {
			t.Errorf("%q: U+2028/9 not escaped: %s", s, got)
		}
	}
}

// viaEncodingJSON is what s reads back as after encoding/json wrote it.
func viaEncodingJSON(s string) string {
	b, _ := json.Marshal(s)
	var back string
	json.Unmarshal(b, &back)
	return back
}

func FuzzString(f *testing.F) {
	f.Add("hello \"world\"\n\xff\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		var back string
		if err := json.Unmarshal(String(nil, s), &back); err != nil || back != viaEncodingJSON(s) {
			t.Fatalf("%q: %v, %q", s, err, back)
		}
	})
}

func BenchmarkString(b *testing.B) {
	s := strings.Repeat("a typical token of model output, ", 4)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = String(buf[:0], s)
	}
}

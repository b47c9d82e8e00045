package emulate

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestVocabulary(t *testing.T) {
	seen := map[string]bool{}
	for _, w := range vocabulary {
		if w == "" || strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" || seen[w] {
			t.Errorf("word %q: want unique plain lowercase letters", w)
		}
		seen[w] = true
	}
	if len(seen) < 64 {
		t.Errorf("%d words, want at least 64", len(seen))
	}
}

func TestCutAtStop(t *testing.T) {
	for _, tc := range []struct {
		stop []string
		want string
		kept int
	}{
		{[]string{"amber"}, "quick river ", 3}, // the space before amber is a byte of it
		{[]string{" amber"}, "quick river", 2},
		{[]string{"quick"}, "", 0},
		{[]string{"ver am", "ick"}, "qu", 1},
		{[]string{"", "zzz"}, "quick river amber stone", 4},
	} {
		a := answer{}
		for i, w := range []string{"quick", "river", "amber", "stone"} {
			if i > 0 {
				a.body = append(a.body, ' ')
			}
			a.body = append(a.body, w...)
			a.ends = append(a.ends, int32(len(a.body)))
		}
		a.cutAtStop(tc.stop)
		var pieces []string
		for i := range a.ends {
			pieces = append(pieces, string(a.piece(i)))
		}
		if string(a.body) != tc.want || len(a.ends) != tc.kept || strings.Join(pieces, "") != tc.want {
			t.Errorf("stop %q: %q in %d pieces %q, want %q in %d", tc.stop, a.body, len(a.ends), pieces, tc.want, tc.kept)
		}
	}
}

func TestSplitPieces(t *testing.T) {
	b := []byte(`{"a":"héllo wörld ✓✓✓"}`)
	ends := splitPieces(nil, b, 4)
	var rebuilt []byte
	prev := int32(0)
	for _, e := range ends {
		if !utf8.Valid(b[prev:e]) {
			t.Errorf("piece %q splits a character", b[prev:e])
		}
		rebuilt = append(rebuilt, b[prev:e]...)
		prev = e
	}
	if string(rebuilt) != string(b) {
		t.Errorf("pieces rebuild %q", rebuilt)
	}
}

func TestAppendString(t *testing.T) {
	for in, want := range map[string]string{
		"plain":        `"plain"`,
		"q\"b\\n\n\t":  `"q\"b\\n\n\t"`,
		"\x01\x1f":     `"\u0001\u001f"`,
		"ünï ✓":        `"ünï ✓"`,
		"bad\xffutf8":  `"bad\ufffdutf8"`,
		"line\u2028ok": `"line\u2028ok"`,
	} {
		if got := string(appendString(nil, in)); got != want {
			t.Errorf("appendString(%q) = %s, want %s", in, got, want)
		}
		if got := string(appendString(nil, []byte(in))); got != want {
			t.Errorf("appendString([]byte %q) = %s, want %s", in, got, want)
		}
	}
}

package jsoncheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheck compares Check with encoding/json.Valid: they must agree on
// every input except where Check's own rules (the depth limit, UTF-8) refuse
// what encoding/json lets through. Seeds live in testdata/fuzz/FuzzCheck; the
// six-million-bracket body is added here rather than stored.
func FuzzCheck(f *testing.F) {
	f.Add([]byte(strings.Repeat("[", 6_000_000)))
	f.Add([]byte(strings.Repeat(`{"a":`, 300) + "1" + strings.Repeat("}", 300)))
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Check(b)
		std := json.Valid(b)
		if err == nil {
			if !std {
				t.Fatalf("Check accepts what encoding/json refuses: %q", b)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %T is not *Error", err)
		}
		if e.Offset < 0 || e.Offset > len(b) {
			t.Fatalf("offset %d outside a %d-byte input", e.Offset, len(b))
		}
		switch e.Kind {
		case Syntax:
			if std {
				t.Fatalf("Check refuses (%v) what encoding/json accepts: %q", err, b)
			}
		case Depth:
			if depthOf(b) <= MaxDepth() {
				t.Fatalf("depth error on a body %d deep", depthOf(b))
			}
		case UTF8:
			if utf8.Valid(b) {
				t.Fatalf("UTF-8 error on valid UTF-8: %q", b)
			}
		default:
			t.Fatalf("kind %d", e.Kind)
		}
	})
}

// depthOf is a naive depth count that ignores brackets in strings.
func depthOf(b []byte) int {
	depth, deepest, inStr := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}

// FuzzWatch checks the watched keys against encoding/json's own reading of
// the top level: a body Watch.Check accepts carries each watched field at
// most once, spelled exactly, as encoding/json unescapes and folds keys.
func FuzzWatch(f *testing.F) {
	f.Add([]byte(`{"model":"gpt-4o-mini","Model":"o1-pro"}`))
	f.Add([]byte(`{"model":"a","model":"b"}`))
	f.Add([]byte(`{"stream":true,"stream_options":{"include_usage":true,"INCLUDE_USAGE":false}}`))
	f.Add([]byte(`{"max_to\u212aens":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		err := chatWatch.Check(b)
		var d *DupError
		if errors.As(err, &d) {
			if !strings.EqualFold(d.Key, d.Of) || (d.Key == d.Of && !d.Repeat) {
				t.Fatalf("refused %q as a copy of %q", d.Key, d.Of)
			}
			return
		}
		if err != nil || !bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("{")) {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		counts := map[string]int{}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("encoding/json fails on a checked body: %v", err)
			}
			key := tok.(string)
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("encoding/json fails on a checked body: %v", err)
			}
			for _, w := range chatWatch.top {
				if strings.EqualFold(key, w.name) {
					if key != w.name {
						t.Fatalf("variant %q of %q passed", key, w.name)
					}
					counts[w.name]++
					if counts[w.name] > 1 {
						t.Fatalf("second %q passed", key)
					}
				}
			}
			if key == "stream_options" && len(v) > 0 && v[0] == '{' {
				seen := map[string]bool{}
				inner := json.NewDecoder(bytes.NewReader(v))
				inner.Token()
				for inner.More() {
					tok, _ := inner.Token()
					k := tok.(string)
					var skip json.RawMessage
					inner.Decode(&skip)
					if strings.EqualFold(k, "include_usage") {
						if k != "include_usage" || seen[k] {
							t.Fatalf("nested %q passed", k)
						}
						seen[k] = true
					}
				}
			}
		}
	})
}

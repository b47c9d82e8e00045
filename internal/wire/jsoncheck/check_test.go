package jsoncheck

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		name   string
		in     string
		kind   Kind   // 0: valid
		reason string // substring of the error
		offset int
	}{
		{"object", `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"n":1,"t":-0.5e+3,"s":null,"b":true,"f":false}`, 0, "", 0},
		{"whitespace around", " \t\r\n[1 , 2 ]\n", 0, "", 0},
		{"escapes", `"a\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"`, 0, "", 0},
		{"lone surrogate escape, as encoding/json", `"\ud800"`, 0, "", 0},
		{"utf-8 text", `{"k":"héllo wörld 日本 😀"}`, 0, "", 0},
		{"limit exactly", deep(128), 0, "", 0},
		{"one past the limit", deep(129), Depth, "nesting deeper than the 128-level limit", 129},
		{"six million brackets", strings.Repeat("[", 6_000_000), Depth, "128-level limit", 129},
		{"deep objects", strings.Repeat(`{"a":`, 200), Depth, "128-level limit", 128*5 + 1},
		{"empty", ``, Syntax, "unexpected end of JSON input", 0},
		{"blank", `   `, Syntax, "unexpected end", 3},
		{"unterminated object", `{"a":1`, Syntax, "unexpected end", 6},
		{"trailing comma", `[1,]`, Syntax, "expected a value", 4},
		{"trailing garbage", `{} x`, Syntax, "end of input", 4},
		{"two values", `1 2`, Syntax, "end of input", 3},
		{"single quotes", `{'a':1}`, Syntax, "string object key", 2},
		{"missing colon", `{"a" 1}`, Syntax, "':'", 6},
		{"leading zero", `01`, Syntax, "end of input", 2},
		{"bare minus", `-`, Syntax, "digit", 1},
		{"dot without digits", `1.`, Syntax, "decimal point", 2},
		{"exponent without digits", `1e+`, Syntax, "exponent", 3},
		{"bad literal", `tru`, Syntax, "literal true", 3},
		{"bad literal char", `nul!`, Syntax, "literal null", 4},
		{"bad escape", `"\x"`, Syntax, "invalid escape", 3},
		{"bad unicode escape", `"\u12g4"`, Syntax, "\\u escape", 6},
		{"raw control char", "\"a\x01b\"", Syntax, "control character 0x01", 3},
		{"raw newline in string", "\"a\nb\"", Syntax, "control character", 3},
		{"invalid utf-8", "{\"k\":\"a\xffb\"}", UTF8, "invalid UTF-8 byte 0xff", 8},
		{"truncated utf-8", "\"\xe6\x97\"", UTF8, "invalid UTF-8", 2},
		{"surrogate in utf-8", "\"\xed\xa0\x80\"", UTF8, "invalid UTF-8", 2},
		{"overlong utf-8", "\"\xc0\xaf\"", UTF8, "invalid UTF-8", 2},
		{"invalid utf-8 in a key", "{\"\xfe\":1}", UTF8, "invalid UTF-8", 3},
		{"mismatched close", `[1}`, Syntax, "','", 3},
		{"utf-8 outside a string", "\xef\xbb\xbf{}", Syntax, "invalid byte 0xef", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check([]byte(tt.in))
			if tt.kind == 0 {
				if err != nil {
					t.Fatalf("Check(%.40q) = %v, want nil", tt.in, err)
				}
				if !json.Valid([]byte(tt.in)) {
					t.Fatalf("test case is not valid JSON to encoding/json")
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Check(%.40q) = %v, want *Error", tt.in, err)
			}
			if e.Kind != tt.kind || !strings.Contains(e.Reason, tt.reason) || e.Offset != tt.offset {
				t.Fatalf("Check(%.40q) = kind %d %q at %d, want kind %d %q at %d", tt.in, e.Kind, e.Error(), e.Offset, tt.kind, tt.reason, tt.offset)
			}
		})
	}
}

func TestErrorMessageNamesLimitAndByte(t *testing.T) {
	err := Check([]byte(strings.Repeat("[", 129)))
	if got, want := err.Error(), "nesting deeper than the 128-level limit at byte 129"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestSetMaxDepth(t *testing.T) {
	defer SetMaxDepth(0)
	body := []byte(strings.Repeat("[", 2000) + strings.Repeat("]", 2000))
	if err := Check(body); err == nil {
		t.Fatal("2000 levels passed the default limit")
	}
	SetMaxDepth(5000) // beyond the on-stack bit stack: it must grow
	if MaxDepth() != 5000 {
		t.Fatalf("MaxDepth() = %d", MaxDepth())
	}
	if err := Check(body); err != nil {
		t.Fatalf("2000 levels under a 5000 limit: %v", err)
	}
	SetMaxDepth(3)
	if err := Check([]byte(`[[[1]]]`)); err != nil {
		t.Fatal(err)
	}
	if err := Check([]byte(`[[[{}]]]`)); err == nil || !strings.Contains(err.Error(), "3-level limit at byte 4") {
		t.Fatalf("got %v", err)
	}
	SetMaxDepth(0)
	if MaxDepth() != DefaultMaxDepth {
		t.Fatalf("SetMaxDepth(0) left %d", MaxDepth())
	}
}

func TestContainerTypesAcrossStackWords(t *testing.T) {
	defer SetMaxDepth(0)
	SetMaxDepth(3000)
	// Alternate objects and arrays past several 64-bit words, then close
	// them: each close must find its own container's type again.
	var open, close strings.Builder
	for i := 0; i < 2500; i++ {
		if i%3 == 0 {
			open.WriteString(`{"k":`)
			close.WriteString(`}`)
		} else {
			open.WriteString(`[`)
			close.WriteString(`]`)
		}
	}
	c := close.String()
	rev := make([]byte, len(c))
	for i := range c {
		rev[len(c)-1-i] = c[i]
	}
	if err := Check([]byte(open.String() + "1" + string(rev))); err != nil {
		t.Fatal(err)
	}
}

func TestValidObject(t *testing.T) {
	for in, want := range map[string]bool{`{}`: true, ` {"a":[]} `: true, `[]`: false, `"x"`: false, `{`: false, ``: false} {
		if got := ValidObject([]byte(in)); got != want {
			t.Errorf("ValidObject(%q) = %v", in, got)
		}
	}
}

func TestSpecial(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			var b [8]byte
			for i := range b {
				b[i] = 'a'
			}
			b[pos] = byte(c)
			x := uint64(0)
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(b[i])
			}
			want := !plain[c]
			if special(x) != want && want {
				t.Fatalf("special misses byte 0x%02x at %d", c, pos)
			}
			if !want && special(x) {
				t.Fatalf("special flags plain byte 0x%02x at %d", c, pos)
			}
		}
	}
}

func TestCheckAllocatesNothing(t *testing.T) {
	body := []byte(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"héllo \"there\""}],"stream":true}`)
	w := NewWatch("model", "stream", "stream_options.include_usage", "messages")
	if n := testing.AllocsPerRun(100, func() {
		if Check(body) != nil || w.Check(body) != nil {
			t.Fatal("rejected")
		}
	}); n != 0 {
		t.Fatalf("%v allocations per check", n)
	}
}

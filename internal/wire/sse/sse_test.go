package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type ev struct{ name, data string }

func readAll(t *testing.T, r io.Reader, maxLine int) ([]ev, error) {
	t.Helper()
	rd := NewReader(r, maxLine)
	var out []ev
	for {
		e, err := rd.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		x := ev{data: string(e.Data)}
		if e.Name != nil {
			x.name = string(e.Name)
		}
		out = append(out, x)
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []ev
	}{
		{"openai", "data: {\"a\":1}\n\ndata: [DONE]\n\n", []ev{{"", `{"a":1}`}, {"", "[DONE]"}}},
		{"named", "event: message_start\ndata: {}\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n",
			[]ev{{"message_start", "{}"}, {"ping", `{"type": "ping"}`}}},
		{"crlf", "data: x\r\n\r\ndata: y\r\n\r\n", []ev{{"", "x"}, {"", "y"}}},
		{"multiline", "data: a\ndata: b\n\n", []ev{{"", "a\nb"}}},
		{"no space", "data:x\n\n", []ev{{"", "x"}}},
		{"comments and ids", ": keep-alive\nid: 7\nretry: 10\ndata: z\n\n", []ev{{"", "z"}}},
		{"no final blank line", "data: a\n\ndata: [DONE]", []ev{{"", "a"}, {"", "[DONE]"}}},
		{"leading blank lines", "\n\n\ndata: a\n\n", []ev{{"", "a"}}},
		{"empty data", "data:\n\n", []ev{{"", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
				got, err := readAll(t, r, 1<<20)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(tt.want) {
					t.Fatalf("got %d events %q, want %q", len(got), got, tt.want)
				}
				for i := range got {
					if got[i] != tt.want[i] {
						t.Errorf("event %d = %q, want %q", i, got[i], tt.want[i])
					}
				}
			}
		})
	}
}

func TestLongLines(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	got, err := readAll(t, strings.NewReader("data: "+long+"\n\n"), 1<<20)
	if err != nil || len(got) != 1 || got[0].data != long {
		t.Fatalf("long line: err %v, %d events", err, len(got))
	}
	_, err = readAll(t, strings.NewReader("data: "+long+"\n\n"), 1<<10)
	if !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("err = %v, want ErrLineTooLong", err)
	}
}

func TestTruncated(t *testing.T) {
	r := iotest.DataErrReader(strings.NewReader("data: a\n\ndata: b"))
	got, err := readAll(t, r, 1<<20)
	if err != nil || len(got) != 2 {
		t.Fatalf("got %q, %v", got, err)
	}
	_, err = readAll(t, iotest.TimeoutReader(strings.NewReader("data: a\n\ndata: b\n\n")), 1<<20)
	if err == nil {
		t.Fatal("want the underlying read error")
	}
}

func FuzzReader(f *testing.F) {
	f.Add("data: {\"a\":1}\n\ndata: [DONE]\n\n")
	f.Add("event: x\r\ndata: y\r\n\r\n")
	f.Add(": c\n\ndata:\n")
	f.Fuzz(func(t *testing.T, in string) {
		rd := NewReader(strings.NewReader(in), 4096)
		for i := 0; i < len(in)+2; i++ {
			if _, err := rd.Next(); err != nil {
				return
			}
		}
		t.Fatal("reader did not terminate")
	})
}

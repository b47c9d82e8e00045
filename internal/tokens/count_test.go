package tokens

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestCount(t *testing.T) {
	// Expected values are o200k_base's, as OpenAI's tiktoken gives them.
	tests := []struct {
		text string
		want int
	}{
		{"", 0},
		{"hello", 1},
		{"hello world", 2},
		{"Hello, world!", 4},
		{"The quick brown fox jumps over the lazy dog.", 10},
		{`{"type":"object","properties":{"city":{"type":"string"}}}`, 14},
		{"    ", 1},
	}
	for _, tc := range tests {
		if got := Count(tc.text); got != tc.want {
			t.Errorf("Count(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}

// TestCounterMatchesCount feeds texts in random pieces, and the Counter must
// agree with Count over the whole text however the pieces fall, including
// past the flush threshold where it counts and drops a prefix.
func TestCounterMatchesCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "Z", " ", "  ", "\n", "\r\n", "1", "23", "!", "'s", ".", "é", "日", "\t", "{", "\"", ":", "/", "\xe2\x80"}
	words := strings.Fields("the quick brown fox jumps over lazy dog Hello World don't it's 2024 3.14 foo_bar")
	for round := range 200 {
		var text strings.Builder
		n := rng.IntN(6000)
		for text.Len() < n {
			if rng.IntN(3) == 0 {
				text.WriteString(alphabet[rng.IntN(len(alphabet))])
			} else {
				text.WriteString(words[rng.IntN(len(words))])
				text.WriteString(" ")
			}
		}
		s := text.String()
		c := NewCounter()
		for rest := s; rest != ""; {
			k := min(len(rest), 1+rng.IntN(40))
			if round%2 == 0 {
				c.WriteString(rest[:k])
			} else {
				c.Write([]byte(rest[:k]))
			}
			rest = rest[k:]
		}
		if got, want := c.Tokens(), Count(s); got != want {
			t.Fatalf("round %d: Counter = %d, Count = %d for %q", round, got, want, s)
		}
		c.Release()
	}
}

func TestCounterReset(t *testing.T) {
	var c Counter
	c.WriteString("hello world")
	if got := c.Tokens(); got != 2 {
		t.Fatalf("Tokens = %d, want 2", got)
	}
	c.Reset()
	if got := c.Tokens(); got != 0 {
		t.Fatalf("after Reset Tokens = %d, want 0", got)
	}
}

func FuzzCounter(f *testing.F) {
	f.Add("hello world, this is a test", uint8(3))
	f.Add(strings.Repeat("ab cd\n", 800), uint8(7))
	f.Fuzz(func(t *testing.T, s string, step uint8) {
		k := int(step%64) + 1
		var c Counter
		for rest := s; rest != ""; {
			n := min(k, len(rest))
			c.WriteString(rest[:n])
			rest = rest[n:]
		}
		if got, want := c.Tokens(), Count(s); got != want {
			t.Fatalf("Counter = %d, Count = %d", got, want)
		}
	})
}

func benchText(n int) string {
	var b strings.Builder
	words := strings.Fields("the gateway routes each request to the cheapest healthy deployment, and bills what the cloud reports; {\"city\":\"Paris\"} 42")
	for i := 0; b.Len() < n; i++ {
		b.WriteString(words[i%len(words)])
		b.WriteByte(' ')
	}
	return b.String()[:n]
}

func BenchmarkCount1KiB(b *testing.B)  { benchCount(b, 1<<10) }
func BenchmarkCount64KiB(b *testing.B) { benchCount(b, 64<<10) }

func benchCount(b *testing.B, n int) {
	s := benchText(n)
	Warm()
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		Count(s)
	}
}

// BenchmarkCounterDeltas appends a 4 KiB answer in word-sized deltas, as a
// stream delivers it, and reads the total once.
func BenchmarkCounterDeltas(b *testing.B) {
	s := benchText(4 << 10)
	pieces := strings.SplitAfter(s, " ")
	Warm()
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		c := NewCounter()
		for _, p := range pieces {
			c.WriteString(p)
		}
		c.Tokens()
		c.Release()
	}
}

func TestEnds(t *testing.T) {
	text := `{"city":"Paris","days":3}`
	ends := Ends(nil, text)
	if len(ends) != Count(text) {
		t.Fatalf("Ends gave %d tokens, Count %d", len(ends), Count(text))
	}
	prev := int32(0)
	for _, e := range ends {
		if e <= prev {
			t.Fatalf("ends not increasing: %v", ends)
		}
		prev = e
	}
	if prev != int32(len(text)) {
		t.Fatalf("last end %d, want %d", prev, len(text))
	}
	if got := Ends(nil, ""); len(got) != 0 {
		t.Fatalf("Ends of empty text = %v", got)
	}
}

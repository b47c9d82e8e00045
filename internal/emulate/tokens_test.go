package emulate

import (
	"testing"

	"github.com/switchyard/switchyard/internal/tokens"
)

// TestVocabularyWordsAreTokens checks that an answer's words bill as the
// tokenizer counts them: each word, bare or after a space, is one token, so
// a gateway that counts the text it relayed agrees with what was billed.
func TestVocabularyWordsAreTokens(t *testing.T) {
	for _, w := range vocabulary {
		if n := tokens.Count(w); n != 1 {
			t.Errorf("%q is %d tokens", w, n)
		}
		if n := tokens.Count(" " + w); n != 1 {
			t.Errorf("%q is %d tokens", " "+w, n)
		}
	}
}

func TestPromptCounterRule(t *testing.T) {
	p := newPromptCounter()
	p.add("Say hello ")
	p.add("to the river.")
	p.message(1)
	p.addJSON([]byte(`{ "q" : [1, 2] }`))
	p.message(0)
	want := chatPrimingTokens + chatMessageTokens + tokens.Count("Say hello to the river.") + chatImageTokens +
		chatMessageTokens + tokens.Count(`{"q":[1,2]}`)
	if p.total != want {
		t.Errorf("total %d, want %d", p.total, want)
	}
}

func TestCountBodyStarted(t *testing.T) {
	a := answer{kind: answerJSON, body: []byte(`{"answer":"river silver"}`)}
	a.ends = splitPieces(a.ends, a.body, jsonPieceBytes)
	a.countBody()
	if a.tokens != tokens.Count(string(a.body)) {
		t.Fatalf("tokens %d, want %d", a.tokens, tokens.Count(string(a.body)))
	}
	prev := 0
	for s := range a.ends {
		got := a.tokensAfter(s)
		if got < prev || got > a.tokens {
			t.Fatalf("tokensAfter(%d) = %d after %d, of %d", s, got, prev, a.tokens)
		}
		if sent := tokens.Count(string(a.body[:a.ends[s]])); got > sent {
			t.Errorf("piece %d: %d tokens begun, but the text sent counts %d", s, got, sent)
		}
		prev = got
	}
	if prev != a.tokens {
		t.Errorf("all pieces sent bill %d, want %d", prev, a.tokens)
	}
}

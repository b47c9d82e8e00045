package route

import (
	"strconv"
	"strings"
	"time"
)

// MaxReason bounds Decision.Reason: it travels in a response header, and
// proxies commonly refuse headers beyond a few kilobytes.
const MaxReason = 2048

// reason formats the decision on one line of printable ASCII:
//
//	policy=cheapest model=gpt prompt=1200; #1 az/gpt score=195000 cost=0.000195 output=256 latency=1.2s risk=0.000; #2 ...; excluded: aws/gpt (cooling down after 429, 1.5s left)
//
// Scores are in the policy's unit (nano-dollars for cheapest and commitment,
// microseconds for fastest); costs and marginal costs are USD.
func (dec *Decision) reason() string {
	var b strings.Builder
	in := dec.in
	b.WriteString("policy=")
	b.WriteString(dec.Policy.Name())
	b.WriteString(" model=")
	writeSafe(&b, dec.Model.Name)
	b.WriteString(" prompt=")
	b.WriteString(strconv.FormatInt(in.PromptTokens, 10))
	if len(dec.Candidates()) == 0 {
		b.WriteString("; no deployment available")
		if !dec.RetryAt.IsZero() {
			b.WriteString(" for ")
			b.WriteString(time.Duration(dec.RetryAt.UnixNano() - in.Now).Round(time.Millisecond).String())
		}
	}
	cs := dec.Candidates()
	for i := range cs {
		c := &cs[i]
		in.OutputTokens = c.out
		b.WriteString("; #")
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteByte(' ')
		writeSafe(&b, c.D.Name)
		if c.Fallback > 0 {
			b.WriteString(" fallback=")
			writeSafe(&b, c.D.Model)
		}
		b.WriteString(" score=")
		b.WriteString(strconv.FormatInt(c.Score, 10))
		b.WriteString(" cost=")
		b.WriteString(c.Cost.String())
		if m := c.Marginal(in); m != c.Cost {
			b.WriteString(" marginal=")
			b.WriteString(m.String())
		}
		b.WriteString(" output=")
		b.WriteString(strconv.FormatInt(c.out, 10))
		b.WriteString(" latency=")
		b.WriteString(c.Latency(in).Round(time.Millisecond).String())
		b.WriteString(" risk=")
		b.WriteString(strconv.FormatFloat(c.Risk(), 'f', 3, 64))
		if c.Probe {
			b.WriteString(" probe")
		}
		if c.Panic {
			b.WriteString(" panic(all ejected)")
		}
		if c.Demoted {
			b.WriteString(" slow-start(last)")
		}
		if c.D.Contract != nil {
			b.WriteString(" commitment=")
			writeSafe(&b, c.D.Contract.Name)
		}
	}
	if len(dec.excluded) > 0 {
		b.WriteString("; excluded:")
		for i, x := range dec.excluded {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte(' ')
			writeSafe(&b, x.d.Name)
			b.WriteString(" (")
			b.WriteString(x.why)
			if x.until > in.Now {
				b.WriteString(", ")
				b.WriteString(time.Duration(x.until - in.Now).Round(time.Millisecond).String())
				b.WriteString(" left")
			}
			b.WriteByte(')')
		}
	}
	s := b.String()
	if len(s) > MaxReason {
		s = s[:MaxReason-3] + "..."
	}
	return s
}

// writeSafe writes s with every byte outside printable ASCII replaced, so
// that a name can never break the header it travels in.
func writeSafe(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		} else {
			b.WriteByte('?')
		}
	}
}

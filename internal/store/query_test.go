package store

import (
	"reflect"
	"testing"
)

func TestSpanSplit(t *testing.T) {
	const d = daySec
	for _, tc := range []struct {
		name string
		s    span
		n    int
		want []span
	}{
		{"one piece", span{10 * d, 40 * d}, 1, []span{{10 * d, 40 * d}}},
		{"halves", span{10 * d, 40 * d}, 2, []span{{10 * d, 25 * d}, {25 * d, 40 * d}}},
		{"uneven thirds stay whole days", span{10 * d, 20 * d}, 3, []span{{10 * d, 13 * d}, {13 * d, 16 * d}, {16 * d, 20 * d}}},
		{"too short to cut", span{10 * d, 13 * d}, 2, []span{{10 * d, 13 * d}}},
		{"open start stays whole", span{0, 40 * d}, 2, []span{{0, 40 * d}}},
		{"open end stays whole", span{10 * d, maxSec}, 2, []span{{10 * d, maxSec}}},
		{"empty", span{10 * d, 10 * d}, 2, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.s.split(d, tc.n)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("split = %v, want %v", got, tc.want)
			}
			// The pieces tile the span exactly.
			if len(got) > 0 && (got[0].from != tc.s.from || got[len(got)-1].to != tc.s.to) {
				t.Fatalf("pieces %v do not cover %v", got, tc.s)
			}
			for i := 1; i < len(got); i++ {
				if got[i].from != got[i-1].to || (got[i].from-tc.s.from)%d != 0 {
					t.Fatalf("pieces %v leave a gap or cut a day", got)
				}
			}
		})
	}
}

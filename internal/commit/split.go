package commit

import (
	"math/bits"
	"sort"
)

// prorate returns amount × part / whole rounded down, for amount ≥ 0 and
// 0 ≤ part ≤ whole, without overflowing 64 bits.
func prorate(amount, part, whole int64) int64 {
	if amount <= 0 || part <= 0 || whole <= 0 {
		return 0
	}
	part = min(part, whole)
	hi, lo := bits.Mul64(uint64(amount), uint64(part))
	q, _ := bits.Div64(hi, lo, uint64(whole))
	return int64(q)
}

// split divides total among shares in proportion to weights, exactly: the
// parts sum to total (largest remainder, ties to the earlier share). With
// no weight at all it splits evenly.
func split(total int64, weights []int64) []int64 {
	out := make([]int64, len(weights))
	if len(weights) == 0 || total <= 0 {
		return out
	}
	var sum int64
	for _, w := range weights {
		sum += max(w, 0)
	}
	if sum == 0 {
		weights = make([]int64, len(out))
		for i := range weights {
			weights[i] = 1
		}
		sum = int64(len(out))
	}
	type rem struct {
		i int
		r uint64
	}
	rems := make([]rem, len(weights))
	left := total
	for i, w := range weights {
		w = max(w, 0)
		hi, lo := bits.Mul64(uint64(total), uint64(w))
		q, r := bits.Div64(hi, lo, uint64(sum))
		out[i] = int64(q)
		left -= int64(q)
		rems[i] = rem{i, r}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; left > 0; k++ {
		out[rems[k%len(rems)].i]++
		left--
	}
	return out
}

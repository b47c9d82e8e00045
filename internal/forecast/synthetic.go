package forecast

import (
	"math"
	"math/rand/v2"
	"time"
)

// Synthetic is a deterministic year of daily revenue in nano-dollars for
// backtests: $2,000 a day at the start, growing 4% a month (compounded
// daily), weekends at half a weekday's level, 10% log-normal day-to-day
// noise, and two shocks: a ten-day outage at a third of normal traffic from
// day 160 (a June) and, from day 250 on, a permanent loss of a fifth of the
// business (a large tenant leaving). It is a plain generator, not the
// routing simulator: the simulator draws every request, too slow for a year.
func Synthetic(start time.Time, days int, seed uint64) []Point {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	weekday := [7]float64{0.55, 1.1, 1.15, 1.15, 1.1, 1.0, 0.5} // Sunday first
	growth := math.Pow(1.04, 12.0/365)
	start = dayOf(start)
	ps := make([]Point, days)
	for i := range ps {
		d := start.AddDate(0, 0, i)
		v := 2000 * math.Pow(growth, float64(i)) * weekday[d.Weekday()] * math.Exp(0.1*rng.NormFloat64()-0.005)
		if i >= 160 && i < 170 {
			v *= 0.35
		}
		if i >= 250 {
			v *= 0.8
		}
		ps[i] = Point{Day: d, Value: int64(math.Round(v * 1e9))}
	}
	return ps
}

package route

import "time"

// Status says whether d could take a request at now and, when not, why, until
// when (zero if unknown) and whether it is merely busy: cooling down after a
// 429, at its quota or at its concurrency cap, so that a client's retry later
// will likely be served. A deployment that is not busy is ejected after
// failures. It is for error messages and reports, off the hot path.
func (d *Deployment) Status(now time.Time) (why string, until time.Time, busy bool) {
	ok, _, why, u := admissible(d, Input{Now: now.UnixNano()})
	if ok {
		return "", time.Time{}, false
	}
	if u != 0 {
		until = time.Unix(0, u)
	}
	return why, until, why != whyEjected && why != whyProbing
}

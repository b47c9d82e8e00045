package route

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/wire"
)

// t0 is the start of every test's virtual time: a Monday, 10:00 UTC.
var t0 = time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)

// clock is a virtual clock that tests move by hand.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }

// header holds the config lines every test table needs; tests append
// models, commitments and routing settings.
const header = `keys: [{name: dev, key: dev-key-0123456789}]
providers:
  - {name: az, type: openai-compatible, base_url: "http://127.0.0.1:1/v1", region: eastus}
  - {name: aws, type: openai-compatible, base_url: "http://127.0.0.1:2/v1", region: us-east-1}
  - {name: gcp, type: openai-compatible, base_url: "http://127.0.0.1:3/v1", region: europe-west4}
  - {name: oa, type: openai-compatible, base_url: "http://127.0.0.1:4/v1"}
`

// newTable builds a table from header plus lines, on a virtual clock at t0
// and a seeded random source.
func newTable(t testing.TB, lines ...string) (*Table, *clock) {
	t.Helper()
	c, err := config.Parse("test.yaml", []byte(header+strings.Join(lines, "\n")+"\n"), nil)
	if err != nil {
		t.Fatalf("config:\n%v", err)
	}
	clk := &clock{now: t0}
	rng := rand.New(rand.NewPCG(1, 2))
	tab, err := New(c, nil, Options{Clock: clk, Rand: rng.Uint64})
	if err != nil {
		t.Fatal(err)
	}
	return tab, clk
}

// deployment returns the named deployment of tab.
func deployment(t testing.TB, tab *Table, name string) *Deployment {
	t.Helper()
	for _, d := range tab.Deployments() {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no deployment %s", name)
	return nil
}

// route routes req and returns the names of the candidates in order.
func route(t testing.TB, tab *Table, req Request) ([]string, *Decision) {
	t.Helper()
	dec := new(Decision)
	if err := tab.Route(&req, dec); err != nil {
		t.Fatalf("Route(%+v): %v", req, err)
	}
	return candidateNames(dec), dec
}

func candidateNames(dec *Decision) []string {
	var out []string
	for _, c := range dec.Candidates() {
		out = append(out, c.D.Name)
	}
	return out
}

// serve runs one request to the end: routes it, and answers each attempt
// with answer(deployment) until one succeeds or Next gives up. It returns
// the deployments tried.
func serve(t testing.TB, tab *Table, req Request, answer func(d *Deployment) Result) []string {
	t.Helper()
	var dec Decision
	if err := tab.Route(&req, &dec); err != nil {
		t.Fatalf("Route: %v", err)
	}
	defer dec.Finish(time.Time{})
	var tried []string
	for a := dec.Next(time.Time{}); a != nil; a = dec.Next(time.Time{}) {
		tried = append(tried, a.Deployment.Name)
		r := answer(a.Deployment)
		a.Done(r)
		if r.Outcome == Success || r.Outcome == Rejected {
			break
		}
	}
	return tried
}

// ok is a successful answer of 100 output tokens to a 1000-token prompt.
func ok(*Deployment) Result {
	return Result{Outcome: Success, Usage: wire.Usage{Prompt: 1000, Completion: 100}}
}

func fail(*Deployment) Result { return Result{Outcome: Failed} }

func equal(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

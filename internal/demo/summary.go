package demo

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/switchyard/switchyard/internal/gateway"
	"github.com/switchyard/switchyard/internal/money"
)

// printSummary prints what each deployment carried: attempts, answers,
// upstream failures (5xx, timeouts, 429s, broken streams; never the
// client's own 4xx), failovers (attempts that took a request over after
// another deployment failed it), streams cut mid-way, tokens and cost.
//
// Attempts, answers, cuts, tokens and cost come from the books (the
// settled usage events); failures and failovers from the routing engine,
// which tells an upstream failure from a request the cloud refused.
func printSummary(w io.Writer, g *gateway.Gateway) {
	routed := map[string]struct{ failed, failovers int64 }{}
	for _, d := range g.API.Routes().Deployments() {
		s := d.Stats(time.Now())
		routed[d.Name] = struct{ failed, failovers int64 }{s.Failures + s.Timeouts + s.Throttled, s.Retries}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "deployment\tattempts\tanswered\tfailed\tfailovers\tcut\tprompt tok\tcompletion tok\tcost USD\t")
	var attempts, answered, failed, failovers, cut, prompt, completion int64
	var cost money.Nanos
	for _, t := range g.Meter.Snapshot() {
		r := routed[t.Deployment]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", t.Deployment, t.Attempts, t.Completed, r.failed, r.failovers,
			t.Interrupted, t.PromptTokens, t.CompletionTokens, t.Cost)
		attempts += t.Attempts
		answered += t.Completed
		failed += r.failed
		failovers += r.failovers
		cut += t.Interrupted
		prompt += t.PromptTokens
		completion += t.CompletionTokens
		cost += t.Cost
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", attempts, answered, failed, failovers, cut, prompt, completion, cost)
	tw.Flush()
}

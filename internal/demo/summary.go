package demo

import (
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/switchyard/switchyard/internal/gateway"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
)

// printSummary prints what each deployment carried: attempts, answers,
// upstream failures (5xx, timeouts, 429s, broken streams; never the
// client's own 4xx), failovers (attempts that took a request over after
// another deployment failed it), streams cut mid-way, tokens and cost.
//
// Attempts, answers, cuts, tokens and cost come from the store (the
// settled usage events, as `switchyard report usage` shows them); failures
// and failovers from the routing engine, which tells an upstream failure
// from a request the cloud refused.
//
// It reads the store from the hour from on: the live traffic, after the
// synthesised history.
func printSummary(w io.Writer, g *gateway.Gateway, st store.Store, from time.Time) error {
	rows, err := st.Usage(context.Background(), store.UsageQuery{From: from, GroupBy: []string{"deployment"}})
	if err != nil {
		return fmt.Errorf("demo: summary: %w", err)
	}
	routed := map[string]struct{ failed, failovers int64 }{}
	for _, d := range g.API.Routes().Deployments() {
		s := d.Stats(time.Now())
		routed[d.Name] = struct{ failed, failovers int64 }{s.Failures + s.Timeouts + s.Throttled, s.Retries}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "deployment\tattempts\tanswered\tfailed\tfailovers\tcut\tprompt tok\tcompletion tok\tcost USD\t")
	var attempts, answered, failed, failovers, cut, prompt, completion int64
	var cost money.Nanos
	byName := map[string]store.UsageRow{}
	for _, t := range rows {
		byName[t.Group["deployment"]] = t
	}
	// Every deployment gets a line, idle ones too: that a cloud carried
	// nothing is part of the story.
	var names []string
	for _, d := range g.API.Routes().Deployments() {
		names = append(names, d.Name)
	}
	for name := range byName {
		if _, ok := routed[name]; !ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		t := byName[name]
		r := routed[name]
		p := t.Reported.Prompt + t.Estimated.Prompt
		c := t.Reported.Completion + t.Estimated.Completion
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", name, t.Attempts, t.Completed, r.failed, r.failovers,
			t.Interrupted, p, c, t.Cost)
		attempts += t.Attempts
		answered += t.Completed
		failed += r.failed
		failovers += r.failovers
		cut += t.Interrupted
		prompt += p
		completion += c
		cost += t.Cost
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", attempts, answered, failed, failovers, cut, prompt, completion, cost)
	return tw.Flush()
}

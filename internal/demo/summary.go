package demo

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/switchyard/switchyard/internal/books"
	"github.com/switchyard/switchyard/internal/gateway"
	"github.com/switchyard/switchyard/internal/money"
)

// printSummary prints what each deployment carried: attempts, answers,
// failovers (attempts that failed before the client saw a byte, after which
// the gateway moved to another deployment), tokens and cost.
func printSummary(w io.Writer, g *gateway.Gateway) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "deployment\tattempts\tanswered\tfailovers\tcut\tprompt tok\tcompletion tok\tcost USD\t")
	var total books.Totals
	for _, t := range g.Meter.Snapshot() {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", t.Deployment, t.Attempts, t.Completed, t.Failed, t.Interrupted,
			t.PromptTokens, t.CompletionTokens, t.Cost)
		total.Attempts += t.Attempts
		total.Completed += t.Completed
		total.Failed += t.Failed
		total.Interrupted += t.Interrupted
		total.PromptTokens += t.PromptTokens
		total.CompletionTokens += t.CompletionTokens
		total.Cost += t.Cost
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", total.Attempts, total.Completed, total.Failed, total.Interrupted,
		total.PromptTokens, total.CompletionTokens, money.Nanos(total.Cost))
	tw.Flush()
}

package commit

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
)

// ReportDoc is the commitments report: every commitment's status at AsOf.
type ReportDoc struct {
	AsOf        time.Time `json:"as_of"`
	Commitments []Status  `json:"commitments"`
}

// columns of the table and CSV forms, one line per commitment.
var columns = []string{"commitment", "kind", "version", "start", "end", "elapsed_pct",
	"committed_usd", "drawn_usd", "utilisation_pct", "expected_usd", "ahead_usd", "pace_pct",
	"projected_use_usd", "projected_shortfall_usd", "projected_use_7d_usd", "projected_shortfall_7d_usd",
	"list_usd", "contracted_usd", "effective_usd", "billed_usd", "committed_part_usd", "on_demand_usd", "unused_usd"}

func (s *Status) values() []string {
	pct := func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) }
	var p [2]Projection
	copy(p[:], s.Projections)
	c := s.Costs
	return []string{s.Name, s.Kind, s.Version, s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339), pct(s.Elapsed),
		s.Committed.String(), s.Drawn.String(), pct(s.Utilisation), s.Expected.String(), s.Ahead.String(), pct(s.Pace),
		p[0].Use.String(), p[0].Shortfall.String(), p[1].Use.String(), p[1].Shortfall.String(),
		c.List.String(), c.Contracted.String(), c.Effective.String(), c.Billed.String(), c.Committed.String(),
		c.OnDemand.String(), c.Unused.String()}
}

var hourColumns = []string{"commitment", "hour", "available_tokens", "used_tokens", "overflow_tokens", "unused_tokens", "cost_usd", "unused_usd"}

func (h *HourUse) values() []string {
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	return []string{h.Commitment, h.Start.Format(time.RFC3339), i(h.Available), i(h.Used), i(h.Overflow()),
		i(h.Available - h.Used), h.Cost.String(), h.UnusedCost.String()}
}

// Write renders the report as table, json or csv. The table and CSV forms
// give one line per commitment, then (table only) each capacity
// commitment's hourly use.
func (d *ReportDoc) Write(w io.Writer, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write(columns)
		for i := range d.Commitments {
			cw.Write(d.Commitments[i].values())
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	if len(d.Commitments) == 0 {
		fmt.Fprintln(w, "no commitments in the config")
		return nil
	}
	for i := range d.Commitments {
		s := &d.Commitments[i]
		v := s.values()
		fmt.Fprintf(tw, "%s (%s, %s)\t%s → %s, %s%% elapsed\t\n", s.Name, s.Kind, s.Version, v[3], v[4], v[5])
		fmt.Fprintf(tw, "  committed\t%s\tdrawn\t%s\tutilisation\t%s%%\t\n", v[6], v[7], v[8])
		fmt.Fprintf(tw, "  straight line\t%s\tahead\t%s\tpace\t%s%%\t\n", v[9], v[10], v[11])
		fmt.Fprintf(tw, "  projected (term)\t%s\tshortfall\t%s\t\t\t\n", v[12], v[13])
		fmt.Fprintf(tw, "  projected (7 days)\t%s\tshortfall\t%s\t\t\t\n", v[14], v[15])
		fmt.Fprintf(tw, "  list\t%s\tcontracted\t%s\teffective\t%s\t\n", v[16], v[17], v[18])
		fmt.Fprintf(tw, "  billed\t%s\tcommitted\t%s\ton demand\t%s\t\n", v[19], v[20], v[21])
		fmt.Fprintf(tw, "  unused\t%s\t\t\t\t\t\n", v[22])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i := range d.Commitments {
		s := &d.Commitments[i]
		if len(s.Hours) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s by hour (capacity tokens)\n", s.Name)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		for _, c := range hourColumns[1:] {
			fmt.Fprint(tw, c, "\t")
		}
		fmt.Fprintln(tw)
		for j := range s.Hours {
			for _, v := range s.Hours[j].values()[1:] {
				fmt.Fprint(tw, v, "\t")
			}
			fmt.Fprintln(tw)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/route/sim"
)

func simulateCmd() *cobra.Command {
	var (
		file     string
		rate     float64
		days     int
		seed     uint64
		policies []string
	)
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Replay a month of traffic through the routing engine on a virtual clock",
		Long: `Replay simulated traffic through the real routing engine (the same policies,
health checks, quotas, retry budget and commitments the gateway uses) on a
virtual clock, and print, per routing policy, the cost (commitments plus
pay-as-you-go, exact to the nano-dollar), commitment use, latency, failures and
attempts per request.

Without --config it runs the built-in month: three clouds selling one model, a
spend commitment that organic traffic would use 60% of, a provisioned-throughput
commitment, a deployment that degrades mid-month, and EU-only tenants. With
--config it simulates your own config with default cloud behaviour.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s := sim.DefaultMonth()
			if file != "" {
				cfg, err := config.Load(file)
				if err != nil {
					return err
				}
				s = sim.FromConfig(cfg, rate, days)
			}
			if cmd.Flags().Changed("seed") {
				s.Seed = seed
			}
			if cmd.Flags().Changed("days") && file == "" {
				s.Duration = time.Duration(days) * 24 * time.Hour
			}
			// Every policy unless told otherwise, whatever the
			// scenario lists: the help promises all five.
			s.Policies = route.PolicyNames()
			if len(policies) > 0 {
				s.Policies = policies
			}
			start := time.Now()
			rep, err := sim.Run(s)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), strings.TrimRight(rep.Markdown(), "\n"))
			fmt.Fprintf(os.Stderr, "simulated in %s\n", time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "config", "c", "", "simulate this config instead of the built-in month")
	f.Float64Var(&rate, "rate", 2, "with --config: mean requests per second")
	f.IntVar(&days, "days", 30, "days of traffic to replay")
	f.Uint64Var(&seed, "seed", 1, "seed for traffic and cloud behaviour")
	f.StringSliceVar(&policies, "policies", nil, "policies to compare (default: all five: "+strings.Join(route.PolicyNames(), ", ")+")")
	return cmd
}

package main

import (
	"context"
	"fmt"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/switchyard/switchyard/internal/emulate"
)

func emulateCmd() *cobra.Command {
	var (
		listen string
		k      emulate.Knobs
	)
	var kinds []string
	for _, kd := range emulate.Kinds() {
		kinds = append(kinds, string(kd))
	}
	cmd := &cobra.Command{
		Use:   "emulate TYPE",
		Short: "Run one emulated cloud (" + strings.Join(kinds, ", ") + ")",
		Long: `Run a faithful local emulator of one cloud's API on a loopback address, for
trying the gateway, tests and benchmarks. Answers are deterministic text; faults
are injected by the knobs below. GET /emulator/billed returns the tokens billed;
POST /emulator/knobs changes the knobs while it runs.`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: kinds,
		RunE: func(cmd *cobra.Command, args []string) error {
			srv, err := emulate.Listen(emulate.Kind(args[0]), listen, k)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "emulating %s at %s\n", args[0], srv.URL)
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			<-ctx.Done()
			return srv.Close()
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:0", "loopback address to listen on (port 0 picks a free one)")
	f.DurationVar(&k.TTFT, "ttft", 0, "time to first token")
	f.Float64Var(&k.TPS, "tps", 0, "tokens per second (0: no delay between tokens)")
	f.Float64Var(&k.ErrorRate, "error-rate", 0, "fraction of requests answered with HTTP 500")
	f.Float64Var(&k.ThrottleRate, "throttle-rate", 0, "fraction of requests answered 429 with Retry-After")
	f.DurationVar(&k.RetryAfter, "retry-after", time.Second, "Retry-After sent with injected throttles")
	f.Float64Var(&k.DisconnectRate, "disconnect-rate", 0, "fraction of streams cut mid-way")
	f.Float64Var(&k.HangRate, "hang-rate", 0, "fraction of requests never answered (silent until the client gives up)")
	f.IntVar(&k.RPM, "rpm", 0, "requests-per-minute quota (0: unlimited)")
	f.IntVar(&k.OutputTokens, "output-tokens", 16, "answer length when a request sets no max tokens")
	f.StringVar(&k.APIKey, "api-key", "", "require this API key (default: accept any; bedrock: a Bedrock API key, sent as a bearer token)")
	f.StringVar(&k.AWSAccessKeyID, "aws-access-key-id", "", "bedrock: require SigV4 signatures by this access key id")
	f.StringVar(&k.AWSSecretAccessKey, "aws-secret-access-key", "", "bedrock: the secret the signatures are checked with")
	f.Uint64Var(&k.Seed, "seed", 1, "seed for fault injection")
	return cmd
}

// Command switchyard is a model gateway: one OpenAI-compatible endpoint in front
// of many clouds, with routing, failover and exact books.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:   "switchyard",
		Short: "Switchyard is a model gateway: one endpoint, many clouds, exact books",
		Long: `Switchyard gives applications one OpenAI-compatible and Anthropic-compatible
endpoint in front of six kinds of cloud (OpenAI, Azure OpenAI, AWS Bedrock,
Anthropic, Google Gemini, and self-hosted OpenAI-compatible servers such as
vLLM), routes every request to a deployment that can serve it, fails over when
one falters, and counts the tokens and money of every request.

Start with "switchyard demo": it needs no configuration and no accounts.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), demoCmd(), emulateCmd(), simulateCmd(), reportCmd(), whatifCmd(), tenantsCmd(), keysCmd(), configCmd(), versionCmd())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "switchyard:", err)
		os.Exit(1)
	}
}

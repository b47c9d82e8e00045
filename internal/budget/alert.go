package budget

import (
	"context"
	"log/slog"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

// Thresholds are the percentages of a budget at which an alert is sent, once
// each per budget window.
var Thresholds = [...]int{50, 80, 100}

// Alert is one threshold crossed by a budget's spend.
type Alert struct {
	Scope     string
	Threshold int // percent: 50, 80 or 100
	Limit     money.Nanos
	Spent     money.Nanos
	Period    string
	Hard      bool
	// WindowStart and ResetsAt bound the window the alert is for (zero for a
	// lifetime budget).
	WindowStart time.Time
	ResetsAt    time.Time
	Webhook     string
}

// crossed appends the thresholds that spent has reached out of limit.
func crossed(dst []int, spent, limit money.Nanos) []int {
	if limit <= 0 {
		return dst // a zero budget blocks everything; there is nothing to warn about
	}
	for _, t := range Thresholds {
		// spent/limit >= t/100 without division; sums stay far from overflow
		// for any budget under 90 million dollars.
		if int64(spent)*100 >= int64(t)*int64(limit) {
			dst = append(dst, t)
		}
	}
	return dst
}

// Notifier sends alerts that a backend decided this replica won. Every field
// is optional; a nil *Notifier drops alerts.
type Notifier struct {
	// Log receives every alert at Warn (100%) or Info.
	Log *slog.Logger
	// Count is called once per alert, for a metric such as
	// switchyard_budget_alerts_total{threshold}.
	Count func(Alert)
	// Webhooks POSTs alerts for budgets that name a webhook.
	Webhooks *Webhooks
}

func (n *Notifier) notify(a Alert) {
	if n == nil {
		return
	}
	if n.Log != nil {
		lvl := slog.LevelInfo
		if a.Threshold >= 100 {
			lvl = slog.LevelWarn
		}
		n.Log.Log(context.Background(), lvl, "budget threshold reached",
			"scope", a.Scope, "threshold_percent", a.Threshold, "spent_usd", a.Spent.String(),
			"limit_usd", a.Limit.String(), "period", a.Period, "hard", a.Hard, "resets_at", a.ResetsAt)
	}
	if n.Count != nil {
		n.Count(a)
	}
	if n.Webhooks != nil && a.Webhook != "" {
		n.Webhooks.Send(a)
	}
}

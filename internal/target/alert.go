package target

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"

	"github.com/switchyard/switchyard/internal/money"
)

// AlertBody is the JSON a target webhook receives, signed as budget
// alerts are (see Webhook).
type AlertBody struct {
	// ID is target/<name>/<period>: one per target per period, the same on
	// every retry, so a receiver drops duplicates by it.
	ID        string `json:"id"`
	Type      string `json:"type"` // "target.miss"
	Target    string `json:"target"`
	Metric    Metric `json:"metric"`
	Segment   string `json:"segment"`
	Period    string `json:"period"`
	PeriodEnd string `json:"period_end"` // RFC 3339
	// Goal, Actual and the forecast are USD decimal strings for money
	// metrics and integers as strings otherwise.
	Unit     string `json:"unit"`
	Goal     string `json:"goal"`
	Actual   string `json:"actual"`
	Expected string `json:"expected"`
	Low      string `json:"low"`
	High     string `json:"high"`
}

// Format renders a goal, actual or forecast value in s's unit: USD for
// money, an integer otherwise.
func (s Status) Format(v int64) string {
	if s.Unit == "usd" {
		return money.Nanos(v).String()
	}
	return strconv.FormatInt(v, 10)
}

// AlertID is the alert's identity: one per target per period.
func (s Status) AlertID() string { return "target/" + s.Target + "/" + s.Period }

func alertBody(s Status) AlertBody {
	return AlertBody{ID: s.AlertID(), Type: "target.miss", Target: s.Target, Metric: s.Metric, Segment: s.Segment,
		Period: s.Period, PeriodEnd: s.PeriodEnd.Format("2006-01-02T15:04:05Z07:00"), Unit: s.Unit, Goal: s.Format(s.Goal),
		Actual: s.Format(s.Actual), Expected: s.Format(s.Expected), Low: s.Format(s.Low), High: s.Format(s.High)}
}

// Once remembers which alerts were sent: First reports whether key is new,
// and records it. FileOnce survives restarts; a Redis SET NX (the gateway
// adapts one in cluster mode) also spans replicas.
type Once interface {
	First(ctx context.Context, key string) (bool, error)
}

// Sender delivers a signed alert body to url.
type Sender interface {
	Send(ctx context.Context, url string, body []byte) error
}

// AlertOptions configure an Alerter.
type AlertOptions struct {
	Log *slog.Logger // nil: discard
	// Count is called once per alert, for a metrics counter; nil: none.
	Count func(s Status)
	// Sender posts webhooks; nil: goals' webhooks are not called.
	Sender Sender
	// Once remembers sent alerts; nil: in memory (once per process).
	Once Once
}

// Alerter raises an alert once per target per period when the forecast's
// interval says the goal will be missed (its high end is below the goal).
type Alerter struct {
	o AlertOptions
}

// NewAlerter returns an alerter.
func NewAlerter(o AlertOptions) *Alerter {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Once == nil {
		o.Once = &MemoryOnce{}
	}
	return &Alerter{o: o}
}

// Check alerts on each status in WillMiss not alerted before in its
// period; goals[i] is the goal of statuses[i] (its webhook). The alert is
// claimed before it is sent: a crash between the two loses that alert
// rather than sending it twice from two replicas. It returns the alerts
// raised.
func (a *Alerter) Check(ctx context.Context, goals []Goal, statuses []Status) []Status {
	var raised []Status
	for i, s := range statuses {
		if s.State != WillMiss || s.Error != "" {
			continue
		}
		first, err := a.o.Once.First(ctx, s.AlertID())
		if err != nil {
			a.o.Log.Error("target: alert state", "target", s.Target, "err", err)
			continue
		}
		if !first {
			continue
		}
		raised = append(raised, s)
		a.o.Log.Warn("target will be missed", "target", s.Target, "metric", string(s.Metric), "segment", s.Segment,
			"period", s.Period, "goal", s.Format(s.Goal), "actual", s.Format(s.Actual), "expected", s.Format(s.Expected),
			"high", s.Format(s.High))
		if a.o.Count != nil {
			a.o.Count(s)
		}
		if i < len(goals) && goals[i].Webhook != "" && a.o.Sender != nil {
			b, err := json.Marshal(alertBody(s))
			if err == nil {
				err = a.o.Sender.Send(ctx, goals[i].Webhook, b)
			}
			if err != nil {
				a.o.Log.Error("target: webhook failed, alert dropped", "target", s.Target, "period", s.Period, "err", err)
			}
		}
	}
	return raised
}

// MemoryOnce remembers alerts for the life of the process.
type MemoryOnce struct {
	mu   sync.Mutex
	seen map[string]bool
}

// First reports whether key is new and records it.
func (m *MemoryOnce) First(_ context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen[key] {
		return false, nil
	}
	if m.seen == nil {
		m.seen = make(map[string]bool)
	}
	m.seen[key] = true
	return true, nil
}

// FileOnce remembers alerts in a file of one key per line (in the data
// directory), so a restart does not alert again.
type FileOnce struct {
	mu   sync.Mutex
	path string
	seen map[string]bool
}

// OpenFileOnce reads the keys already in path; a missing file is empty.
func OpenFileOnce(path string) (*FileOnce, error) {
	f := &FileOnce{path: path, seen: make(map[string]bool)}
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("target: alert file: %w", err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if k := sc.Text(); k != "" {
			f.seen[k] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("target: alert file %s: %w", path, err)
	}
	return f, nil
}

// First reports whether key is new and appends it to the file (synced:
// an alert sent is an alert remembered).
func (f *FileOnce) First(_ context.Context, key string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seen[key] {
		return false, nil
	}
	fh, err := os.OpenFile(f.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return false, fmt.Errorf("target: alert file: %w", err)
	}
	_, err = fh.WriteString(key + "\n")
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("target: alert file %s: %w", f.path, err)
	}
	f.seen[key] = true
	return true, nil
}

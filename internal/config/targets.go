package config

import (
	"errors"
	"path"
	"strconv"
)

// Target is a goal for one metric over every period of a kind (each month,
// by default), globally or for a segment. The report and the gateway's
// evaluator forecast each period's total and alert when it will be missed.
type Target struct {
	Name string `yaml:"name"`
	// Metric is one of TargetMetrics.
	Metric string `yaml:"metric"`
	// Goal is USD as a decimal string for revenue and gross_margin, a whole
	// number for new_tenants, active_tenants and tokens.
	Goal string `yaml:"goal"`
	// Period is week (ISO, from Monday), month or quarter, in UTC. Default
	// month.
	Period  string        `yaml:"period"`
	Segment TargetSegment `yaml:"segment"` // absent: everything
	// Webhook receives the miss alert as a signed JSON POST (signed with
	// budgets.webhook_secret, as budget alerts are); empty for none.
	Webhook string `yaml:"webhook"`
	Pos     Pos    `yaml:"-"`
}

// TargetSegment narrows a target to usage matching a glob (path.Match
// syntax: gpt-4o*, eu-*) on at most one dimension. Plan and tag read the
// tenants' current plan and tags.
type TargetSegment struct {
	Model      string `yaml:"model"`
	Tenant     string `yaml:"tenant"`
	Key        string `yaml:"key"`
	Provider   string `yaml:"provider"`
	Deployment string `yaml:"deployment"`
	Plan       string `yaml:"plan"`
	Tag        string `yaml:"tag"`
	Pos        Pos    `yaml:"-"`
}

// TargetMetrics are the accepted values of targets[].metric; true marks
// the money metrics, whose goal is in USD.
var TargetMetrics = map[string]bool{"revenue": true, "gross_margin": true, "new_tenants": false,
	"active_tenants": false, "tokens": false}

// Dimension is the segment's one dimension and glob; "" and "" for none.
func (s TargetSegment) Dimension() (dim, glob string) {
	for _, d := range s.dims() {
		if d.glob != "" {
			return d.dim, d.glob
		}
	}
	return "", ""
}

type segmentDim struct{ dim, glob string }

func (s TargetSegment) dims() []segmentDim {
	return []segmentDim{{"model", s.Model}, {"tenant", s.Tenant}, {"key", s.Key}, {"provider", s.Provider},
		{"deployment", s.Deployment}, {"plan", s.Plan}, {"tag", s.Tag}}
}

// GoalValue parses Goal: nano-dollars for a money metric, else a count.
func (t Target) GoalValue() (int64, error) {
	if TargetMetrics[t.Metric] {
		n, err := ParseUSD(t.Goal)
		return int64(n), err
	}
	n, err := strconv.ParseInt(t.Goal, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("want a whole number of 0 or more, such as 40")
	}
	return n, nil
}

func (v *validator) targets() {
	names := make(map[string]string)
	for i := range v.c.Targets {
		t := &v.c.Targets[i]
		p := "targets[" + strconv.Itoa(i) + "]"
		v.name(p+".name", t.Name, v.quote(t.Name, p+".name"), t.Pos, names, namePattern)
		money, known := TargetMetrics[t.Metric]
		switch {
		case t.Metric == "":
			v.errorf(p+".metric", t.Pos, "is required: one of revenue, gross_margin, new_tenants, active_tenants, tokens")
		case !known:
			v.errorf(p+".metric", t.Pos, "unknown metric %s: want revenue, gross_margin, new_tenants, active_tenants or tokens", v.quote(t.Metric, p+".metric"))
		case t.Goal == "":
			v.errorf(p+".goal", t.Pos, "is required")
		default:
			if _, err := t.GoalValue(); err != nil {
				unit := "a count"
				if money {
					unit = "USD"
				}
				v.errorf(p+".goal", t.Pos, "%s is %s: %v", t.Metric, unit, err)
			}
		}
		switch t.Period {
		case "", "week", "month", "quarter":
		default:
			v.errorf(p+".period", t.Pos, "unknown period %s: want week, month or quarter", v.quote(t.Period, p+".period"))
		}
		set := 0
		for _, d := range t.Segment.dims() {
			if d.glob == "" {
				continue
			}
			set++
			key := p + ".segment." + d.dim
			if set == 2 {
				v.errorf(key, t.Segment.Pos, "a segment has one dimension; make one target per combination")
			}
			if _, err := path.Match(d.glob, ""); err != nil {
				v.errorf(key, t.Segment.Pos, "bad pattern %s: %v", v.quote(d.glob, key), err)
			}
		}
		if t.Webhook != "" {
			v.baseURL(p+".webhook", t.Webhook, t.Pos)
			if v.c.Budgets.WebhookSecret == "" {
				v.errorf(p+".webhook", t.Pos, "needs budgets.webhook_secret, which signs target alerts too")
			}
		}
	}
}

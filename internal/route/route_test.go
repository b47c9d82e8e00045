package route

import (
	"testing"
	"time"
)

// deployments builds hand-made deployments named a, b, c... from
// (priority, weight) pairs, as code outside a Table may.
func deployments(specs ...[2]int) []*Deployment {
	var ds []*Deployment
	for i, s := range specs {
		d := NewDeployment(string(rune('a' + i)))
		d.Priority, d.Weight = s[0], s[1]
		ds = append(ds, d)
	}
	return ds
}

func TestCooldown(t *testing.T) {
	m := NewModel("", Priority{}, deployments([2]int{1, 1}, [2]int{2, 1})...)
	now := time.Now()
	a := m.Deployments[0]
	a.CoolDown(now.Add(2 * time.Second))
	a.CoolDown(now.Add(time.Second)) // an earlier end never shortens a cooldown
	plan, _ := m.Plan(now, nil)
	if len(plan) != 1 || plan[0].Name != "b" {
		t.Fatalf("plan while a cools = %v, want [b]", names(plan))
	}
	if ok, until := a.Available(now.Add(1500 * time.Millisecond)); ok || until.UnixNano() != now.Add(2*time.Second).UnixNano() {
		t.Fatalf("a available before its Retry-After ended (until %v)", until)
	}
	m.Deployments[1].CoolDown(now.Add(500 * time.Millisecond))
	plan, soonest := m.Plan(now, nil)
	if len(plan) != 0 || soonest.UnixNano() != now.Add(500*time.Millisecond).UnixNano() {
		t.Fatalf("all cooling: plan %v soonest %v", names(plan), soonest)
	}
	if plan, _ := m.Plan(now.Add(2*time.Second), nil); len(plan) != 2 {
		t.Fatalf("after cooldowns end, plan = %v", names(plan))
	}
}

func names(ds []*Deployment) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Name)
	}
	return out
}

func BenchmarkPlan(b *testing.B) {
	m := NewModel("", Priority{}, deployments([2]int{1, 3}, [2]int{1, 1}, [2]int{1, 2}, [2]int{2, 1}, [2]int{3, 1})...)
	var buf [16]*Deployment
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		m.Plan(now, buf[:0])
	}
}

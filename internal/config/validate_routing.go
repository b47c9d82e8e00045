package config

import (
	"cmp"
	"strconv"
	"strings"
	"time"
)

// Limits of the routing settings checked by Validate.
const (
	MaxConsecutiveFailures  = 1000
	MaxMinRequests          = 1_000_000
	MaxRetryMinConcurrent   = 100_000
	MaxExpectedOutputTokens = 10_000_000
	MaxTokenWeight          = 1000
	// MaxCapacityPerMinute bounds a capacity commitment, so that the tokens
	// it counts cannot overflow.
	MaxCapacityPerMinute = 1_000_000_000_000
)

// keyConstraints checks a key's routing constraints: the providers and
// regions it may reach must exist (a typo would otherwise deny every
// request of the key), and the policies it may ask for must be known.
func (v *validator) keyConstraints(p string, k *Key) {
	providers := make(map[string]bool, len(v.c.Providers))
	for _, pr := range v.c.Providers {
		providers[pr.Name] = true
	}
	for j, name := range k.AllowedProviders {
		key := p + ".allowed_providers[" + strconv.Itoa(j) + "]"
		if !providers[name] {
			v.errorf(key, k.Pos, "no provider named %s", v.quote(name, key))
		}
	}
	regions := make(map[string]bool)
	for _, m := range v.c.Models {
		for _, d := range m.Deployments {
			regions[d.Region] = true
		}
	}
	for j, r := range k.AllowedRegions {
		key := p + ".allowed_regions[" + strconv.Itoa(j) + "]"
		switch {
		case r == "":
			v.errorf(key, k.Pos, "must not be empty")
		case !regions[r]:
			v.errorf(key, k.Pos, "no deployment is in region %s (deployments[].region, default the provider's region)", v.quote(r, key))
		}
	}
	for _, pol := range k.AllowRouteOverride.Policies {
		if !RoutingPolicies[pol] {
			key := p + ".allow_route_override"
			v.errorf(key, k.Pos, "unknown routing policy %s; want one of %s", v.quote(pol, key), oneOf(RoutingPolicies))
		}
	}
}

// fallbacks checks models[].fallbacks: every name is another model, listed
// once, and following fallbacks never leads back to where it started.
func (v *validator) fallbacks() {
	index := make(map[string]int, len(v.c.Models))
	for i, m := range v.c.Models {
		if _, dup := index[m.Name]; !dup {
			index[m.Name] = i
		}
	}
	edges := make([][]int, len(v.c.Models)) // resolved fallbacks, by model index
	for i := range v.c.Models {
		m := &v.c.Models[i]
		seen := make(map[string]bool)
		for j, f := range m.Fallbacks {
			key := "models[" + strconv.Itoa(i) + "].fallbacks[" + strconv.Itoa(j) + "]"
			t, ok := index[f]
			switch {
			case !ok:
				v.errorf(key, m.Pos, "no model named %s", v.quote(f, key))
			case f == m.Name:
				v.errorf(key, m.Pos, "a model cannot fall back to itself")
			case seen[f]:
				v.errorf(key, m.Pos, "%s is listed twice", v.quote(f, key))
			default:
				edges[i] = append(edges[i], t)
			}
			seen[f] = true
		}
	}
	// Depth-first search; an edge to a model still on the stack closes a
	// cycle, reported once at that edge.
	const (
		unvisited = iota
		onStack
		done
	)
	state := make([]int, len(v.c.Models))
	var stack []int
	var visit func(i int)
	visit = func(i int) {
		state[i] = onStack
		stack = append(stack, i)
		for j, t := range edges[i] {
			switch state[t] {
			case unvisited:
				visit(t)
			case onStack:
				var path []string
				for k := len(stack) - 1; k >= 0; k-- {
					if stack[k] == t {
						for _, s := range stack[k:] {
							path = append(path, v.c.Models[s].Name)
						}
						break
					}
				}
				path = append(path, v.c.Models[t].Name)
				key := "models[" + strconv.Itoa(i) + "].fallbacks[" + strconv.Itoa(fallbackIndex(v.c.Models[i].Fallbacks, v.c.Models[t].Name, j)) + "]"
				v.errorf(key, v.c.Models[i].Pos, "fallbacks form a cycle: %s", strings.Join(path, " -> "))
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = done
	}
	for i := range v.c.Models {
		if state[i] == unvisited {
			visit(i)
		}
	}
}

// fallbackIndex finds name in fallbacks, the position the error points at;
// hint is where it usually is (edges skip rejected entries).
func fallbackIndex(fallbacks []string, name string, hint int) int {
	for i, f := range fallbacks {
		if f == name {
			return i
		}
	}
	return hint
}

func (v *validator) routing() {
	r := &v.c.Routing
	h := &r.Health
	if h.ConsecutiveFailures < 0 || h.ConsecutiveFailures > MaxConsecutiveFailures {
		v.errorf("routing.health.consecutive_failures", h.Pos, "must be between 0 (off) and %d", MaxConsecutiveFailures)
	}
	if !(h.ErrorRatio >= 0 && h.ErrorRatio <= 1) {
		v.errorf("routing.health.error_ratio", h.Pos, "must be between 0 (off) and 1")
	}
	if h.MinRequests < 1 || h.MinRequests > MaxMinRequests {
		v.errorf("routing.health.min_requests", h.Pos, "must be between 1 and %d", MaxMinRequests)
	}
	v.atLeast("routing.health.window", h.Window, time.Second, h.Pos)
	v.atLeast("routing.health.base_ejection", h.BaseEjection, time.Second, h.Pos)
	if h.MaxEjection < h.BaseEjection && h.BaseEjection >= Duration(time.Second) {
		v.errorf("routing.health.max_ejection", h.Pos, "must not be shorter than base_ejection (%v)", h.BaseEjection)
	}
	if h.SlowStart < 0 || h.SlowStart > Duration(time.Hour) {
		v.errorf("routing.health.slow_start", h.Pos, "must be between 0 (off) and 1h")
	}
	b := &r.RetryBudget
	if !(b.Ratio >= 0 && b.Ratio <= 1) {
		v.errorf("routing.retry_budget.ratio", b.Pos, "must be between 0 and 1 (a share of active requests)")
	}
	if b.MinConcurrent < 0 || b.MinConcurrent > MaxRetryMinConcurrent {
		v.errorf("routing.retry_budget.min_concurrent", b.Pos, "must be between 0 and %d", MaxRetryMinConcurrent)
	}
	v.atLeast("routing.spend_pacing", r.SpendPacing, time.Second, r.Pos)
	if r.SpendPacing > Duration(24*time.Hour) {
		v.errorf("routing.spend_pacing", r.Pos, "must be at most 24h: a coarser pace cannot spread steering over the term")
	}
	if r.ExpectedOutputTokens < 1 || r.ExpectedOutputTokens > MaxExpectedOutputTokens {
		v.errorf("routing.expected_output_tokens", r.Pos, "must be between 1 and %d", MaxExpectedOutputTokens)
	}
}

func (v *validator) atLeast(key string, d Duration, least time.Duration, pos Pos) {
	if d < Duration(least) {
		v.errorf(key, pos, "must be at least %v", least)
	}
}

// deploymentRef is a deployment and where the config declares it.
type deploymentRef struct {
	d   *Deployment
	key string
}

func (v *validator) commitments() {
	providers := make(map[string]bool, len(v.c.Providers))
	for _, p := range v.c.Providers {
		providers[p.Name] = true
	}
	var refs []deploymentRef
	deployments := make(map[string]deploymentRef)
	for i := range v.c.Models {
		for j := range v.c.Models[i].Deployments {
			d := &v.c.Models[i].Deployments[j]
			ref := deploymentRef{d, "models[" + strconv.Itoa(i) + "].deployments[" + strconv.Itoa(j) + "]"}
			refs = append(refs, ref)
			if _, dup := deployments[d.Name]; !dup && d.Name != "" {
				deployments[d.Name] = ref
			}
		}
	}

	names := make(map[string]string)
	byName := make(map[string]*Commitment)
	listedBy := make(map[string]*Commitment) // deployment -> the commitment that lists it
	listedAt := make(map[string]string)      // deployment -> key of the commitment that lists it
	for i := range v.c.Commitments {
		cm := &v.c.Commitments[i]
		p := "commitments[" + strconv.Itoa(i) + "]"
		v.name(p+".name", cm.Name, v.quote(cm.Name, p+".name"), cm.Pos, names, namePattern)
		if _, dup := byName[cm.Name]; !dup && cm.Name != "" {
			byName[cm.Name] = cm
		}
		switch {
		case cm.Provider == "":
			v.errorf(p+".provider", cm.Pos, "is required")
		case !providers[cm.Provider]:
			v.errorf(p+".provider", cm.Pos, "no provider named %s", v.quote(cm.Provider, p+".provider"))
		}
		v.commitmentTerms(p, cm)

		seen := make(map[string]bool)
		for j, name := range cm.Deployments {
			key := p + ".deployments[" + strconv.Itoa(j) + "]"
			ref, ok := deployments[name]
			switch {
			case !ok:
				v.errorf(key, cm.Pos, "no deployment named %s", v.quote(name, key))
			case seen[name]:
				v.errorf(key, cm.Pos, "%s is listed twice", v.quote(name, key))
			case ref.d.Provider != cm.Provider:
				v.errorf(key, cm.Pos, "deployment %s is of provider %s, not %s", v.quote(name, key), v.quote(ref.d.Provider, ref.key+".provider"), v.quote(cm.Provider, p+".provider"))
			case listedBy[name] != nil:
				v.errorf(key, cm.Pos, "deployment %s is already listed by %s; a deployment draws on one commitment", v.quote(name, key), listedAt[name])
			default:
				listedBy[name], listedAt[name] = cm, p
			}
			seen[name] = true
		}
	}

	// What each commitment covers: the deployments that name it (SetDefaults
	// names the default ones) and those it lists.
	coverage := make(map[*Commitment]int)
	for _, ref := range refs {
		lister := listedBy[ref.d.Name]
		if lister != nil {
			coverage[lister]++
		}
		if ref.d.Commitment == "" {
			continue
		}
		key := ref.key + ".commitment"
		cm, ok := byName[ref.d.Commitment]
		switch {
		case !ok:
			v.errorf(key, ref.d.Pos, "no commitment named %s", v.quote(ref.d.Commitment, key))
		case cm.Provider != ref.d.Provider:
			v.errorf(key, ref.d.Pos, "commitment %s is with provider %s, not the deployment's provider %s",
				v.quote(cm.Name, key), v.quote(cm.Provider, key), v.quote(ref.d.Provider, ref.key+".provider"))
		case lister != nil && lister.Name != cm.Name:
			v.errorf(key, ref.d.Pos, "names commitment %s but %s lists the deployment; a deployment draws on one commitment",
				v.quote(cm.Name, key), listedAt[ref.d.Name])
		case lister == nil:
			coverage[cm]++
		}
	}

	// A commitment that covers nothing is a mistake; two that list no
	// deployments for one provider leave SetDefaults unable to choose.
	catchAll := make(map[string]string) // provider -> key of its first uncovered catch-all
	for i := range v.c.Commitments {
		cm := &v.c.Commitments[i]
		p := "commitments[" + strconv.Itoa(i) + "]"
		if coverage[cm] > 0 || cm.Name == "" || !providers[cm.Provider] || byName[cm.Name] != cm {
			continue
		}
		if len(cm.Deployments) == 0 && v.hasUnassigned(cm.Provider) {
			// SetDefaults found several catch-alls for the provider.
			if first, dup := catchAll[cm.Provider]; dup {
				v.errorf(p+".deployments", cm.Pos, "%s also covers every deployment of provider %s; list the deployments of each",
					first, v.quote(cm.Provider, p+".provider"))
			}
			catchAll[cm.Provider] = cmp.Or(catchAll[cm.Provider], p)
			continue
		}
		v.errorf(p+".deployments", cm.Pos, "covers no deployment: list deployments here or name the commitment in a deployment's commitment key")
	}
}

// hasUnassigned reports whether a deployment of provider draws on no
// commitment.
func (v *validator) hasUnassigned(provider string) bool {
	for _, m := range v.c.Models {
		for _, d := range m.Deployments {
			if d.Provider == provider && d.Commitment == "" {
				return true
			}
		}
	}
	return false
}

// commitmentTerms checks a commitment's kind, the fields its kind needs
// (and only those), and its term.
func (v *validator) commitmentTerms(p string, cm *Commitment) {
	spendOnly := cm.Amount != 0
	w := cm.TokenWeights
	switch cm.Kind {
	case CommitSpend:
		if cm.Amount <= 0 {
			v.errorf(p+".amount", cm.Pos, "is required for a spend commitment: the USD total, such as \"120000\"")
		}
		for _, f := range []struct {
			key string
			set bool
		}{
			{"tpm", cm.TPM != 0}, {"model_units", cm.ModelUnits != 0},
			{"tokens_per_unit_minute", cm.TokensPerUnitMinute != 0}, {"price_per_hour", cm.PricePerHour != 0},
			{"token_weights", w.Set.Input || w.Set.CachedInput || w.Set.Output || w.Set.Reasoning},
		} {
			if f.set {
				v.errorf(p+"."+f.key, cm.Pos, "applies only to capacity commitments")
			}
		}
	case CommitCapacity:
		if spendOnly {
			v.errorf(p+".amount", cm.Pos, "applies only to spend commitments; a capacity commitment's cost is price_per_hour")
		}
		v.capacity(p, cm)
	case "":
		v.errorf(p+".kind", cm.Pos, "is required; want %s or %s", CommitSpend, CommitCapacity)
	default:
		v.errorf(p+".kind", cm.Pos, "unknown commitment kind %s; want %s or %s", v.quote(cm.Kind, p+".kind"), CommitSpend, CommitCapacity)
	}
	switch {
	case cm.Start.IsZero():
		v.errorf(p+".start", cm.Pos, "is required: the first day of the term, such as 2025-01-01")
	case cm.End.IsZero():
		v.errorf(p+".end", cm.Pos, "is required: the day after the term, such as 2026-01-01 (end is exclusive)")
	case !cm.End.After(cm.Start):
		v.errorf(p+".end", cm.Pos, "must be after start (%s)", cm.Start.Format(time.RFC3339))
	}
}

func (v *validator) capacity(p string, cm *Commitment) {
	switch {
	case cm.TPM < 0:
		v.errorf(p+".tpm", cm.Pos, "must be more than 0")
	case cm.TPM > 0 && (cm.ModelUnits != 0 || cm.TokensPerUnitMinute != 0):
		v.errorf(p+".model_units", cm.Pos, "give tpm, or model_units with tokens_per_unit_minute, not both")
	case cm.TPM > MaxCapacityPerMinute:
		v.errorf(p+".tpm", cm.Pos, "must be at most %d", MaxCapacityPerMinute)
	case cm.TPM == 0 && cm.ModelUnits == 0 && cm.TokensPerUnitMinute == 0:
		v.errorf(p+".tpm", cm.Pos, "a capacity commitment needs tpm, or model_units with tokens_per_unit_minute")
	case cm.TPM == 0:
		ok := true
		if cm.ModelUnits <= 0 {
			v.errorf(p+".model_units", cm.Pos, "must be more than 0 (with tokens_per_unit_minute)")
			ok = false
		}
		if cm.TokensPerUnitMinute <= 0 {
			v.errorf(p+".tokens_per_unit_minute", cm.Pos, "must be more than 0 (with model_units)")
			ok = false
		}
		if ok && cm.ModelUnits > MaxCapacityPerMinute/cm.TokensPerUnitMinute {
			v.errorf(p+".model_units", cm.Pos, "model_units times tokens_per_unit_minute must be at most %d", MaxCapacityPerMinute)
		}
	}
	// Cached input and reasoning default to input and output: check them
	// only when given, or one mistake would be reported twice.
	w := cm.TokenWeights
	for _, f := range []struct {
		key string
		val float64
		set bool
	}{{"input", w.Input, true}, {"cached_input", w.CachedInput, w.Set.CachedInput},
		{"output", w.Output, true}, {"reasoning", w.Reasoning, w.Set.Reasoning}} {
		if f.set && !(f.val >= 0 && f.val <= MaxTokenWeight) {
			v.errorf(p+".token_weights."+f.key, cm.Pos, "must be between 0 and %d", MaxTokenWeight)
		}
	}
}

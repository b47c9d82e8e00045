package route

import (
	"slices"

	"github.com/switchyard/switchyard/internal/config"
)

// Constraints are what a tenant (today: a client key) allows routing to do.
// They always win over price: a deployment they exclude is never tried, even
// when it is the only one left, and the client then gets the error.
type Constraints struct {
	// Providers and Regions list what the tenant's requests may reach; an
	// empty list allows all. A deployment with no region is excluded once
	// regions are listed: it cannot be shown to comply.
	Providers []string
	Regions   []string
	// Override lists the policies the tenant may ask for per request.
	Override config.RouteOverride
}

// KeyConstraints returns the constraints a config key carries.
func KeyConstraints(k config.Key) *Constraints {
	return &Constraints{Providers: k.AllowedProviders, Regions: k.AllowedRegions, Override: k.AllowRouteOverride}
}

// Allows reports whether d may serve the tenant. A nil Constraints allows
// every deployment.
func (c *Constraints) Allows(d *Deployment) bool {
	if c == nil {
		return true
	}
	if len(c.Providers) > 0 && !slices.Contains(c.Providers, d.ProviderName) {
		return false
	}
	return len(c.Regions) == 0 || d.Region != "" && slices.Contains(c.Regions, d.Region)
}

// allowsPolicy reports whether the tenant may ask for policy. A nil
// Constraints allows no override.
func (c *Constraints) allowsPolicy(policy string) bool {
	return c != nil && c.Override.Allows(policy)
}

// MayOverride reports whether the tenant may choose any routing policy per
// request. Only such tenants see route reasons (x-switchyard-debug): the
// reasons name deployments and prices a tenant confined to some of them
// must not learn.
func (c *Constraints) MayOverride() bool {
	return c != nil && (c.Override.All || len(c.Override.Policies) > 0)
}

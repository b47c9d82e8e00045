package route

import "errors"

// Errors from Route. The API answers the first three with 4xx: they are
// about the request, not the clouds.
var (
	// ErrUnknownModel: no model of that name.
	ErrUnknownModel = errors.New("route: unknown model")
	// ErrUnknownPolicy: x-switchyard-route names no policy.
	ErrUnknownPolicy = errors.New("route: unknown routing policy")
	// ErrPolicyNotAllowed: the tenant may not choose the policy.
	ErrPolicyNotAllowed = errors.New("route: routing policy override not allowed for this key")
	// ErrNoAllowedDeployment: the tenant's constraints exclude every
	// deployment of the model and of its fallbacks.
	ErrNoAllowedDeployment = errors.New("route: no deployment of the model is allowed for this key")
)

// Package deploy holds the container deployment (compose config, load balancer) and tests that keep it consistent with the Dockerfile and compose.yaml.
package deploy

// Package anthropic translates Anthropic Messages bodies, streams and errors to and from the canonical form.
package anthropic

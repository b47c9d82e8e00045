// Package bedrock translates AWS Bedrock Converse and ConverseStream bodies (JSON and eventstream) to and from the canonical wire form.
package bedrock

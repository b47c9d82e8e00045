// Package gemini translates Google Gemini API generateContent bodies, streams and errors to and from the canonical form.
package gemini

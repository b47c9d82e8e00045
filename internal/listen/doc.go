// Package listen bounds what clients can hold on the API listener: open connections, requests in flight and unread bodies.
package listen

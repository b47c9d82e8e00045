package metrics

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// API is the client API a request came in on.
type API uint8

// APIs, in label order.
const (
	Chat API = iota
	Messages
	Embeddings
	numAPIs
)

var apiNames = [numAPIs]string{"chat", "messages", "embeddings"}

// statusClasses index the status_class label: status/100 for 2xx to 5xx;
// "none" when no answer was written (the client left).
var statusClasses = [...]string{"none", "1xx", "2xx", "3xx", "4xx", "5xx"}

func classOf(status int) int {
	if c := status / 100; c >= 1 && c <= 5 {
		return c
	}
	return 0
}

// modelSeries are a public model's children, resolved once; the request
// counters on first use, so a model shows no series for APIs and classes
// it never answered.
type modelSeries struct {
	name     string
	duration prometheus.Observer
	requests [numAPIs][len(statusClasses)]atomic.Pointer[prometheus.Counter]
}

// Request counts a finished request to model on api with the status its
// client got, taking d from arrival to the last byte.
func (m *Metrics) Request(model string, api API, status int, d time.Duration) {
	s := (*m.models.Load())[model]
	if s == nil {
		s = m.model(model)
	}
	if api >= numAPIs {
		api = Chat
	}
	class := classOf(status)
	c := s.requests[api][class].Load()
	if c == nil {
		v := m.requests.WithLabelValues(s.name, statusClasses[class], apiNames[api])
		c = &v
		s.requests[api][class].Store(c)
	}
	(*c).Inc()
	s.duration.Observe(d.Seconds())
}

// model resolves a model's children on first sight.
func (m *Metrics) model(name string) *modelSeries {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := *m.models.Load()
	if s := cur[name]; s != nil {
		return s
	}
	s := &modelSeries{name: name, duration: m.duration.WithLabelValues(name)}
	next := make(map[string]*modelSeries, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	next[name] = s
	m.models.Store(&next)
	return s
}

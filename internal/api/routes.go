package api

import (
	"encoding/json"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/route"
)

// routes is what a config reload replaces at once: the routing table, the
// keys and their constraints, and the model list built from them. A request
// loads it once, when it arrives, and keeps it to the end, so a reload never
// changes the routes of a request (or stream) already running.
type routes struct {
	table       *route.Table
	keys        *access.Keyring
	constraints map[string]*route.Constraints
	models      []byte // the GET /v1/models answer
	byID        map[string][]byte
}

func newRoutes(t *route.Table, keys *access.Keyring, cons map[string]*route.Constraints, created int64) *routes {
	rt := &routes{table: t, keys: keys, constraints: cons, byID: map[string][]byte{}}
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	list := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list", Data: []model{}}
	for _, m := range t.Models() {
		mo := model{ID: m.Name, Object: "model", Created: created, OwnedBy: "switchyard"}
		list.Data = append(list.Data, mo)
		rt.byID[m.Name], _ = json.Marshal(mo)
	}
	rt.models, _ = json.Marshal(list)
	return rt
}

// SetRoutes swaps in a new routing table, keyring and key constraints
// together (a config reload). Requests that arrive after it returns use
// them; requests already running finish on the ones they started with.
func (s *Server) SetRoutes(t *route.Table, keys *access.Keyring, constraints map[string]*route.Constraints) {
	s.cur.Store(newRoutes(t, keys, constraints, time.Now().Unix()))
}

// Routes returns the routing table new requests use.
func (s *Server) Routes() *route.Table { return s.cur.Load().table }

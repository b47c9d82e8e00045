// Package clusterquota shares deployment quotas (RPM and TPM toward each cloud) between replicas through Redis.
package clusterquota

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchyard/switchyard/internal/route"
)

//go:embed share.lua
var scriptSrc string

var script = redis.NewScript(scriptSrc)

// DefaultPrefix is where Redis keeps the quota counts and leases, beside
// the limiter's sy:{limit}: and the budgets' sy:{budget}:. The braces are a
// Redis Cluster hash tag, as there.
const DefaultPrefix = "sy:{quota}:"

// countTTL keeps a minute's count while it can still weigh in the sliding
// minute (the minute after it), with a margin for clock skew.
const countTTL = 3 * time.Minute

// Redis is the route.QuotaSharer over Redis: one script per quota window,
// all of a replica's windows pipelined in one round trip per exchange.
// Counts are kept per deployment, window and Unix minute of the replicas'
// clocks (so replicas need synchronised clocks, as NTP gives: a skew moves
// counts between minutes near their boundary); leases per deployment and
// window, one hash field per replica.
type Redis struct {
	c      redis.Cmdable
	prefix string
	id     string
}

// NewRedis returns a sharer over c with keys under prefix ("" means
// DefaultPrefix), as one replica: each sharer has its own random id, under
// which its leases are held.
func NewRedis(c redis.Cmdable, prefix string) *Redis {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	b := make([]byte, 8)
	rand.Read(b)
	return &Redis{c: c, prefix: prefix, id: hex.EncodeToString(b)}
}

// ID is the replica id the sharer holds leases under.
func (r *Redis) ID() string { return r.id }

// Share implements route.QuotaSharer.
func (r *Redis) Share(ctx context.Context, at time.Time, hold time.Duration, ws []route.QuotaWindow) error {
	cmds, err := r.exchange(ctx, at, hold, ws)
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		// Redis restarted or flushed its scripts: no script ran, so none of
		// the counts were added. Load it and exchange again.
		if err := script.Load(ctx, r.c).Err(); err != nil {
			return fmt.Errorf("clusterquota: load script: %w", err)
		}
		cmds, err = r.exchange(ctx, at, hold, ws)
	}
	if err != nil {
		return fmt.Errorf("clusterquota: exchange: %w", err)
	}
	for i, c := range cmds {
		v, err := c.Int64Slice()
		if err != nil || len(v) != 5 {
			return fmt.Errorf("clusterquota: %s %s: bad reply %v: %w", ws[i].Deployment, ws[i].Kind, v, errors.Join(err, errReply))
		}
		ws[i].Total = [2]int64{v[0], v[1]}
		ws[i].Lease = v[2]
		ws[i].Mine = [2]int64{v[3], v[4]}
	}
	return nil
}

var errReply = errors.New("want five integers")

// exchange pipelines one script per window.
func (r *Redis) exchange(ctx context.Context, at time.Time, hold time.Duration, ws []route.QuotaWindow) ([]*redis.Cmd, error) {
	pipe := r.c.Pipeline()
	cmds := make([]*redis.Cmd, len(ws))
	now, ms := at.UnixMilli(), hold.Milliseconds()
	for i := range ws {
		w := &ws[i]
		base := r.prefix + w.Deployment + ":" + w.Kind + ":"
		prev, cur := base+strconv.FormatInt(w.Minute-1, 10), base+strconv.FormatInt(w.Minute, 10)
		keys := []string{prev, cur, base + "leases", prev + ":by", cur + ":by"}
		cmds[i] = script.EvalSha(ctx, pipe, keys, r.id, w.Limit, w.Add[0], w.Add[1], w.Want,
			strconv.FormatFloat(w.Weight, 'f', 6, 64), now, ms, int64(countTTL/time.Second))
	}
	_, err := pipe.Exec(ctx)
	return cmds, err
}

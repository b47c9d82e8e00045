package budget

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard/switchyard/internal/money"
)

// testRedis connects to the Redis named by SWITCHYARD_TEST_REDIS (default
// 127.0.0.1:6379) and returns a fresh key prefix that is deleted after the
// test. Without Redis the test is skipped, or fails when
// SWITCHYARD_REQUIRE_SERVICES=1 (as .ci/run sets).
func testRedis(t testing.TB) (func() *redis.Client, string) {
	t.Helper()
	addr := os.Getenv("SWITCHYARD_TEST_REDIS")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	dial := func() *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, ReadTimeout: 2 * time.Second, PoolSize: 64})
		t.Cleanup(func() { c.Close() })
		return c
	}
	c := dial()
	if err := c.Ping(context.Background()).Err(); err != nil {
		msg := "no Redis at " + addr + " (" + err.Error() + "): run redis-server on 127.0.0.1:6379 or set SWITCHYARD_TEST_REDIS=host:port"
		if os.Getenv("SWITCHYARD_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "switchyard-test:budget:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return dial, prefix
}

func TestRedisBudgetRaceAcrossReplicas(t *testing.T) {
	checkRace(t, func(t *testing.T) []Backend {
		dial, prefix := testRedis(t)
		// Two replicas: separate clients (connection pools) on the same books.
		return []Backend{NewRedis(dial(), prefix, nil), NewRedis(dial(), prefix, nil)}
	})
}

func TestRedisReserve(t *testing.T) {
	dial, prefix := testRedis(t)
	checkReserve(t, NewRedis(dial(), prefix, nil), time.Now())
}

func TestRedisHoldExpires(t *testing.T) {
	dial, prefix := testRedis(t)
	r := NewRedis(dial(), prefix, nil)
	ctx := context.Background()
	b := Budget{Scope: "tenant:exp", Limit: 5 * cent, Period: mustPeriod(t, "day", ""), Hard: true}
	// A request that dies holding the whole budget.
	if _, ref, err := r.Reserve(ctx, []Budget{b}, 5*cent, 50*time.Millisecond, time.Now()); err != nil || ref != nil {
		t.Fatal(ref, err)
	}
	if _, ref, _ := r.Reserve(ctx, []Budget{b}, cent, time.Minute, time.Now()); ref == nil {
		t.Fatal("a second hold fitted beside a hold of the whole budget")
	}
	// Once its ttl has passed, the next Reserve reaps it; no settle is needed.
	var admitted bool
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		res, ref, err := r.Reserve(ctx, []Budget{b}, 5*cent, time.Minute, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			admitted = true
			if err := r.Release(ctx, res); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if !admitted {
		t.Fatal("the expired hold was never reaped")
	}
	// The background reaper frees holds in books no request touches again.
	idle := Budget{Scope: "key:idle", Limit: 5 * cent, Period: mustPeriod(t, "day", ""), Hard: true}
	if _, ref, err := r.Reserve(ctx, []Budget{idle}, 5*cent, 10*time.Millisecond, time.Now()); err != nil || ref != nil {
		t.Fatal(ref, err)
	}
	h, _ := r.holdKeys(idle.book().redisKey())
	time.Sleep(50 * time.Millisecond)
	if err := r.Reap(ctx); err != nil {
		t.Fatal(err)
	}
	if held, err := r.c.HGet(ctx, h, "held").Int64(); err != nil || held != 0 {
		t.Fatalf("after Reap the idle book holds %d (%v), want 0", held, err)
	}
	st, err := r.Status(ctx, b, time.Now())
	if err != nil || st.Held != 0 || st.Spent != 0 {
		t.Fatalf("status %+v, %v; want nothing held or spent", st, err)
	}
}

func TestRedisRollingAndSeed(t *testing.T) {
	dial, prefix := testRedis(t)
	r := NewRedis(dial(), prefix, nil)
	ctx := context.Background()
	now := time.Now()
	b := Budget{Scope: "key:roll", Limit: 10 * cent, Period: mustPeriod(t, "rolling:3d", "America/New_York"), Hard: true}
	days := b.Period.Buckets(nil, now)
	// Seeding two days ago and yesterday; today's spend comes from a request.
	if err := r.Seed(ctx, b, days[2], 4*cent); err != nil {
		t.Fatal(err)
	}
	if err := r.Seed(ctx, b, days[1], 3*cent); err != nil {
		t.Fatal(err)
	}
	// A second seed does not overwrite what Redis already holds.
	if err := r.Seed(ctx, b, days[1], 0); err != nil {
		t.Fatal(err)
	}
	res, ref, err := r.Reserve(ctx, []Budget{b}, 2*cent, time.Minute, now)
	if err != nil || ref != nil {
		t.Fatal(ref, err)
	}
	if err := r.Settle(ctx, res, 2*cent); err != nil {
		t.Fatal(err)
	}
	if _, ref, _ = r.Reserve(ctx, []Budget{b}, 2*cent, time.Minute, now); ref == nil || ref.Spent != 9*cent {
		t.Fatalf("refusal %+v, want one naming $0.09 spent over three days", ref)
	}
}

func TestRedisAlertsOnceAcrossReplicas(t *testing.T) {
	dial, prefix := testRedis(t)
	var a1, a2 alertRecorder
	replicas := []Backend{NewRedis(dial(), prefix, a1.notifier()), NewRedis(dial(), prefix, a2.notifier())}
	b := Budget{Scope: "tenant:alerts", Limit: money.PerDollar, Period: mustPeriod(t, "month", ""), Hard: false}
	ok, _ := race(t, replicas, b, 200, cent, cent)
	if ok != 200 {
		t.Fatalf("a soft budget admitted %d of 200", ok)
	}
	for _, th := range Thresholds {
		if n := a1.got[th] + a2.got[th]; n != 1 {
			t.Errorf("%d%% alert sent %d times across two replicas, want once", th, n)
		}
	}
}

// TestRedisBooksExpire: a book's hold hash and hold zset always carry an
// expiry that outlives their holds, also between holds (Redis would delete
// an emptied zset, and a later ZADD make it anew without one).
func TestRedisBooksExpire(t *testing.T) {
	dial, prefix := testRedis(t)
	c := dial()
	r := NewRedis(c, prefix, nil)
	ctx := context.Background()
	b := []Budget{{Scope: "key:k", Limit: money.PerDollar, Period: mustPeriod(t, "day", ""), Hard: true}}
	k := b[0].book().redisKey()
	h, z := r.holdKeys(k)
	ttl := 15 * time.Minute
	check := func(when string) {
		t.Helper()
		for _, key := range []string{h, z} {
			got := c.PTTL(ctx, key).Val()
			if got < ttl {
				t.Errorf("%s: %s expires in %v, want at least the hold TTL %v", when, key, got, ttl)
			}
		}
	}
	for i := range 3 {
		res, ref, err := r.Reserve(ctx, b, cent, ttl, time.Now())
		if err != nil || ref != nil {
			t.Fatal(ref, err)
		}
		check(fmt.Sprintf("hold %d", i))
		if err := r.Settle(ctx, res, cent); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("after settling hold %d", i))
	}
	if st, err := r.Status(ctx, b[0], time.Now()); err != nil || st.Held != 0 || st.Spent != 3*cent {
		t.Errorf("status %+v %v, want $0.03 spent and nothing held", st, err)
	}
}

// TestRedisRefusalOnANewBookLeavesNoKeyBehind: a hard budget refused on its
// first request (its spend, seeded from the store, is already over) writes
// nothing: no hold hash or zset, and so none without an expiry.
func TestRedisRefusalOnANewBookLeavesNoKeyBehind(t *testing.T) {
	dial, prefix := testRedis(t)
	c := dial()
	r := NewRedis(c, prefix, nil)
	ctx := context.Background()
	now := time.Now()
	b := Budget{Scope: "key:over", Limit: cent, Period: mustPeriod(t, "day", ""), Hard: true}
	if err := r.Seed(ctx, b, b.Period.Current(now), 2*cent); err != nil {
		t.Fatal(err)
	}
	if _, ref, err := r.Reserve(ctx, []Budget{b}, cent, time.Minute, now); err != nil || ref == nil {
		t.Fatalf("refusal %v, err %v: want a refusal", ref, err)
	}
	h, z := r.holdKeys(b.book().redisKey())
	if n := c.Exists(ctx, h, z).Val(); n != 0 {
		t.Fatalf("%d of the book's hold keys exist after a refusal, want none", n)
	}
}

// TestRedisShortHoldAfterALongOneIsReaped: a book reaps only once its
// earliest hold may have expired, so a short hold placed after a long one
// must bring that time forward; if it did not, the short hold would block
// the budget until the long one's expiry.
func TestRedisShortHoldAfterALongOneIsReaped(t *testing.T) {
	dial, prefix := testRedis(t)
	r := NewRedis(dial(), prefix, nil)
	ctx := context.Background()
	b := Budget{Scope: "tenant:short", Limit: 5 * cent, Period: mustPeriod(t, "day", ""), Hard: true}
	if _, ref, err := r.Reserve(ctx, []Budget{b}, cent, time.Hour, time.Now()); err != nil || ref != nil {
		t.Fatal(ref, err)
	}
	if _, ref, err := r.Reserve(ctx, []Budget{b}, 4*cent, 50*time.Millisecond, time.Now()); err != nil || ref != nil {
		t.Fatal(ref, err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		res, ref, err := r.Reserve(ctx, []Budget{b}, 4*cent, time.Minute, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			_ = r.Release(ctx, res)
			return
		}
	}
	t.Fatal("the short hold was not reaped while a long one stayed")
}

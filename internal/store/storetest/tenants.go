package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
)

func newTenant(i int) store.Tenant {
	t := t0.Add(time.Duration(i) * time.Millisecond)
	return store.Tenant{
		ID: access.NewID("t_", t), Name: fmt.Sprintf("tenant-%02d", i), Status: store.TenantActive, Plan: "plan-a",
		AllowedModels: []string{"gpt-x"}, AllowedProviders: []string{"openai"}, AllowedRegions: []string{"eu"},
		Tags: []string{"enterprise"}, Metadata: map[string]string{"crm": "42"},
		Limits:    access.Limits{RPM: 600, TPM: 100000, Concurrent: 5},
		Budget:    access.Budget{USD: money.PerDollar, Period: "month", TZ: "Europe/Paris", Hard: true},
		CreatedAt: t, UpdatedAt: t,
	}
}

func testTenants(t *testing.T, s store.Store) {
	ctx := context.Background()
	v0, err := s.AccessVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var made []store.Tenant
	for i := range 5 {
		tn := newTenant(i)
		if err := s.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		made = append(made, tn)
	}
	got, err := s.GetTenant(ctx, made[2].ID)
	if err != nil || !reflect.DeepEqual(got, made[2]) {
		t.Fatalf("GetTenant = %+v, %v\nwant %+v", got, err, made[2])
	}
	if v, _ := s.AccessVersion(ctx); v == v0 {
		t.Error("AccessVersion did not move on CreateTenant")
	}
	dup := newTenant(9)
	dup.Name = made[0].Name
	if err := s.CreateTenant(ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate name: %v, want ErrConflict", err)
	}
	if _, err := s.GetTenant(ctx, "t_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: %v, want ErrNotFound", err)
	}

	// Pages of 2 come back in creation order and end.
	var all []store.Tenant
	after := ""
	for range 10 {
		page, err := s.ListTenants(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1].ID
	}
	if !reflect.DeepEqual(all, made) {
		t.Errorf("paged list = %v tenants, want the %d made in order", len(all), len(made))
	}

	upd := made[1]
	upd.Name, upd.Status, upd.Tags, upd.Metadata = "renamed", store.TenantDisabled, nil, nil
	upd.Limits, upd.Budget = access.Limits{}, access.Budget{}
	upd.UpdatedAt = upd.UpdatedAt.Add(time.Hour)
	v1, _ := s.AccessVersion(ctx)
	if err := s.UpdateTenant(ctx, upd); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetTenant(ctx, upd.ID); !reflect.DeepEqual(got, upd) {
		t.Errorf("after update %+v\nwant %+v", got, upd)
	}
	if v, _ := s.AccessVersion(ctx); v == v1 {
		t.Error("AccessVersion did not move on UpdateTenant")
	}
	upd.Name = made[0].Name
	if err := s.UpdateTenant(ctx, upd); !errors.Is(err, store.ErrConflict) {
		t.Errorf("rename onto another tenant: %v, want ErrConflict", err)
	}
	ghost := newTenant(7)
	if err := s.UpdateTenant(ctx, ghost); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update unknown: %v, want ErrNotFound", err)
	}
}

func testKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := newTenant(1), newTenant(2)
	for _, tn := range []store.Tenant{a, b} {
		if err := s.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	ring := access.NewKeyringPepper([]byte("a-pepper-for-the-tests"))
	var made []store.Key
	for i := range 6 {
		tn := a
		if i%2 == 1 {
			tn = b
		}
		secret := access.NewKey()
		d := ring.Digest(secret)
		at := t0.Add(time.Duration(i) * time.Millisecond)
		k := store.Key{
			ID: access.NewID("k_", at), TenantID: tn.ID, Name: fmt.Sprintf("key-%d", i), Prefix: access.Prefix(secret),
			Digest: d[:], ExpiresAt: at.Add(24 * time.Hour), AllowedModels: []string{"gpt-x"},
			Limits: access.Limits{RPM: 60}, Budget: access.Budget{USD: 5 * money.PerDollar, Period: "rolling:7d"},
			CreatedAt: at, UpdatedAt: at,
		}
		if err := s.CreateKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		made = append(made, k)
	}
	orphan := made[0]
	orphan.ID, orphan.TenantID = "k_orphan", "t_missing"
	if err := s.CreateKey(ctx, orphan); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("key of an unknown tenant: %v, want ErrNotFound", err)
	}
	same := made[0]
	same.ID = "k_samedigest"
	if err := s.CreateKey(ctx, same); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate digest: %v, want ErrConflict", err)
	}
	got, err := s.GetKey(ctx, made[3].ID)
	if err != nil || !reflect.DeepEqual(got, made[3]) {
		t.Fatalf("GetKey = %+v, %v\nwant %+v", got, err, made[3])
	}
	if _, err := s.GetKey(ctx, "k_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown key: %v", err)
	}
	// A tenant's listing holds its keys only, paged.
	var ofB []store.Key
	after := ""
	for range 10 {
		page, err := s.ListKeys(ctx, b.ID, after, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		ofB = append(ofB, page...)
		after = page[len(page)-1].ID
	}
	if want := []store.Key{made[1], made[3], made[5]}; !reflect.DeepEqual(ofB, want) {
		t.Errorf("keys of tenant b = %d keys, want %d", len(ofB), len(want))
	}
	if every, _ := s.ListKeys(ctx, "", "", 100); len(every) != 6 {
		t.Errorf("all keys: %d, want 6", len(every))
	}

	// Rotation and revocation are updates of the same key id.
	rot := made[0]
	nd := ring.Digest(access.NewKey())
	rot.PrevDigest, rot.PrevUntil, rot.Digest = rot.Digest, t0.Add(time.Hour), nd[:]
	rot.RevokedAt = t0.Add(2 * time.Hour)
	rot.UpdatedAt = t0.Add(time.Hour)
	if err := s.UpdateKey(ctx, rot); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetKey(ctx, rot.ID); !reflect.DeepEqual(got, rot) {
		t.Errorf("after rotation %+v\nwant %+v", got, rot)
	}
	if err := s.UpdateKey(ctx, orphan); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update unknown key: %v", err)
	}

	// Last use moves forward only, and does not move the access version.
	v, _ := s.AccessVersion(ctx)
	used := t0.Add(3 * time.Hour)
	if err := s.TouchKeys(ctx, map[string]time.Time{made[2].ID: used, "k_unknown": used}); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchKeys(ctx, map[string]time.Time{made[2].ID: used.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetKey(ctx, made[2].ID); !got.LastUsedAt.Equal(used) {
		t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, used)
	}
	if v2, _ := s.AccessVersion(ctx); v2 != v {
		t.Errorf("TouchKeys moved the access version %d -> %d", v, v2)
	}
}

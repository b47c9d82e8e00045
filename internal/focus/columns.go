// Package focus writes costs as FinOps FOCUS 1.2 CSV: usage split into committed and on-demand charges, commitment purchases and their unused parts, with tokens by type.
package focus

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

// Mandatory are FOCUS 1.2's mandatory columns.
var Mandatory = []string{
	"BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodStart",
	"BillingPeriodEnd", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodStart",
	"ChargePeriodEnd", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost",
	"PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
}

// Columns are the export's columns, in order: the mandatory ones, the
// conditional ones the gateway knows, and x_ columns for tokens by type
// (disjoint: input excludes cached and cache-write tokens, output excludes
// reasoning, so they add up to ConsumedQuantity) and the commitment's
// config version.
var Columns = []string{
	"BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodStart", "BillingPeriodEnd",
	"ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency", "ChargePeriodStart", "ChargePeriodEnd",
	"BilledCost", "EffectiveCost", "ListCost", "ContractedCost",
	"InvoiceIssuerName", "ProviderName", "PublisherName", "ServiceCategory", "ServiceSubcategory", "ServiceName",
	"RegionId", "ResourceId", "ResourceName", "ResourceType",
	"PricingCategory", "PricingQuantity", "PricingUnit", "ConsumedQuantity", "ConsumedUnit",
	"CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountCategory", "CommitmentDiscountType",
	"CommitmentDiscountQuantity", "CommitmentDiscountUnit", "CommitmentDiscountStatus",
	"SkuPriceDetails", "Tags",
	"x_InputTokens", "x_CachedInputTokens", "x_CacheWriteTokens", "x_OutputTokens", "x_ReasoningTokens",
	"x_CommitmentVersion",
}

// Values of the enumerated columns.
const (
	CategoryUsage    = "Usage"
	CategoryPurchase = "Purchase"
	StatusUsed       = "Used"
	StatusUnused     = "Unused"
	PricingStandard  = "Standard"
	PricingCommitted = "Committed"
)

// Row is one FOCUS charge. Empty strings are nulls.
type Row struct {
	BillingAccountID, BillingAccountName string
	BillingPeriodStart, BillingPeriodEnd time.Time
	ChargeCategory, ChargeDescription    string
	ChargeFrequency                      string
	ChargePeriodStart, ChargePeriodEnd   time.Time
	BilledCost, EffectiveCost            money.Nanos
	ListCost, ContractedCost             money.Nanos
	ProviderName, ServiceName            string
	RegionID                             string
	ResourceID, ResourceType             string
	PricingCategory                      string
	PricingQuantity, PricingUnit         string
	// Consumed is set on usage rows: the tokens consumed.
	Consumed bool
	Tokens   Tokens

	CommitmentID, CommitmentCategory, CommitmentType string
	CommitmentQuantity, CommitmentUnit               string
	CommitmentStatus, CommitmentVersion              string

	Model, Tenant string
}

// Tokens by type, disjoint.
type Tokens struct{ Input, CachedInput, CacheWrite, Output, Reasoning int64 }

// Total is every token once.
func (t Tokens) Total() int64 {
	return t.Input + t.CachedInput + t.CacheWrite + t.Output + t.Reasoning
}

func (t *Tokens) add(u Tokens) {
	t.Input += u.Input
	t.CachedInput += u.CachedInput
	t.CacheWrite += u.CacheWrite
	t.Output += u.Output
	t.Reasoning += u.Reasoning
}

// Record renders r in Columns order.
func (r *Row) Record() []string {
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	var consumed, unit, in, cached, write, out, reasoning string
	if r.Consumed {
		t := r.Tokens
		consumed, unit = i(t.Total()), "Tokens"
		in, cached, write, out, reasoning = i(t.Input), i(t.CachedInput), i(t.CacheWrite), i(t.Output), i(t.Reasoning)
	}
	var sku, tags string
	if r.Model != "" {
		sku = jsonObject("x_ModelName", r.Model)
	}
	if r.Tenant != "" {
		tags = jsonObject("tenant", r.Tenant)
	}
	var cdName string
	if r.CommitmentID != "" {
		cdName = r.CommitmentID
	}
	return []string{
		r.BillingAccountID, r.BillingAccountName, "USD", Time(r.BillingPeriodStart), Time(r.BillingPeriodEnd),
		r.ChargeCategory, "", r.ChargeDescription, r.ChargeFrequency, Time(r.ChargePeriodStart), Time(r.ChargePeriodEnd),
		Money(r.BilledCost), Money(r.EffectiveCost), Money(r.ListCost), Money(r.ContractedCost),
		r.ProviderName, r.ProviderName, r.ProviderName, "AI and Machine Learning", "Generative AI", r.ServiceName,
		r.RegionID, r.ResourceID, r.ResourceID, r.ResourceType,
		r.PricingCategory, r.PricingQuantity, r.PricingUnit, consumed, unit,
		r.CommitmentID, cdName, r.CommitmentCategory, r.CommitmentType,
		r.CommitmentQuantity, r.CommitmentUnit, r.CommitmentStatus,
		sku, tags,
		in, cached, write, out, reasoning,
		r.CommitmentVersion,
	}
}

// Money formats nano-dollars as a decimal string with all nine decimals.
func Money(n money.Nanos) string {
	neg := n < 0
	u := uint64(n)
	if neg {
		u = -u
	}
	s := strconv.FormatUint(u/1e9, 10) + "." + pad9(u%1e9)
	if neg {
		s = "-" + s
	}
	return s
}

func pad9(f uint64) string {
	s := strconv.FormatUint(f, 10)
	for len(s) < 9 {
		s = "0" + s
	}
	return s
}

// Time formats t as ISO 8601 in UTC to the second.
func Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// jsonObject is {"k":"v"}, v escaped as JSON.
func jsonObject(k, v string) string {
	b, _ := json.Marshal(map[string]string{k: v}) // cannot fail for strings
	return string(b)
}

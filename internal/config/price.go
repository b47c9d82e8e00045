package config

import (
	"reflect"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/price"
)

// Unpriced is the value of `price:` for a deployment whose usage the gateway
// tracks without a cost (a self-hosted model, a free preview). Its usage
// events are marked unpriced, never billed at a silent $0.
const Unpriced = "unpriced"

// Price is what a deployment charges us. YAML writes it in one of three forms:
//
//	price: {input: "2.50", output: "10"}   # one set of rates
//	price: unpriced                        # explicitly no price
//	price:                                 # dated versions
//	  - {input: "3", output: "15"}         # the first may omit from: since ever
//	  - {from: 2026-01-01, input: "2.50", output: "10"}
//
// Rates are USD per million tokens as decimal strings, parsed exactly into
// nano-dollars per token. Input and output are required ("0" for free);
// cached_input and cache_write default to input, reasoning to output.
// long_context replaces them all for a request whose prompt is longer than
// its threshold. A deployment without a price does not load.
type Price struct {
	Input       money.Price `yaml:"input"`
	CachedInput money.Price `yaml:"cached_input"` // default: Input
	CacheWrite  money.Price `yaml:"cache_write"`  // default: Input
	Output      money.Price `yaml:"output"`
	Reasoning   money.Price `yaml:"reasoning"` // default: Output
	// LongContext is the price of a request with a long prompt.
	LongContext *PriceTier `yaml:"long_context"`
	// From is when these rates take effect (a version in a list); zero
	// means since ever.
	From time.Time `yaml:"from"`

	// Unpriced is `price: unpriced`: the rates are unused.
	Unpriced bool `yaml:"-"`
	// Versions is the list form, sorted by strictly increasing From: the
	// rates above are then unused.
	Versions []Price `yaml:"-"`

	// Set records which fields the YAML gave, so defaults can tell an explicit
	// "0" (free) from an omitted field.
	Set PriceFields `yaml:"-"`
	Pos Pos         `yaml:"-"`
}

// PriceTier is a long-context price: it applies to the whole request when the
// prompt holds more than Above tokens (cached ones included). Input and
// output are required; the others default as in Price, to the tier's own
// input and output.
type PriceTier struct {
	Above       int64       `yaml:"above"`
	Input       money.Price `yaml:"input"`
	CachedInput money.Price `yaml:"cached_input"`
	CacheWrite  money.Price `yaml:"cache_write"`
	Output      money.Price `yaml:"output"`
	Reasoning   money.Price `yaml:"reasoning"`
	Set         PriceFields `yaml:"-"`
	Pos         Pos         `yaml:"-"`
}

// PriceFields marks which price fields were given.
type PriceFields struct {
	Input, CachedInput, CacheWrite, Output, Reasoning bool
}

func (f *PriceFields) given(key string) {
	switch key {
	case "input":
		f.Input = true
	case "cached_input":
		f.CachedInput = true
	case "cache_write":
		f.CacheWrite = true
	case "output":
		f.Output = true
	case "reasoning":
		f.Reasoning = true
	}
}

func (p *Price) given(key string)     { p.Set.given(key) }
func (t *PriceTier) given(key string) { t.Set.given(key) }

// isSet reports whether the price says anything at all: a Config built in code
// gives nonzero rates without Set flags.
func (p *Price) isSet() bool {
	return p.Unpriced || p.Versions != nil || p.LongContext != nil || !p.From.IsZero() ||
		p.Set != (PriceFields{}) || p.Input != 0 || p.CachedInput != 0 || p.CacheWrite != 0 || p.Output != 0 || p.Reasoning != 0
}

// price decodes a deployment's price in any of its three forms.
func (d *decoder) price(n *yaml.Node, path string, p *Price) {
	p.Pos = Pos{n.Line, n.Column}
	switch n.Kind {
	case yaml.MappingNode:
		d.structure(n, path, reflect.ValueOf(p).Elem())
	case yaml.SequenceNode:
		p.Versions = make([]Price, len(n.Content))
		for i, e := range n.Content {
			ep := path + "[" + strconv.Itoa(i) + "]"
			d.value(e, ep, reflect.ValueOf(&p.Versions[i]).Elem())
			if v := &p.Versions[i]; v.Unpriced || v.Versions != nil {
				d.fail(e, ep, "want a mapping such as {from: 2026-01-01, input: \"2.50\", output: \"10\"}, got %s", kindName(e))
			}
		}
	default:
		s, ok := d.scalar(n, path, "")
		if !ok {
			return
		}
		if s != Unpriced {
			d.fail(n, path, "want rates such as {input: \"2.50\", output: \"10\"} (USD per million tokens), a list of them with from dates, or %s", Unpriced)
			return
		}
		p.Unpriced = true
	}
}

// setDefaults fills the derived rates: providers that do not price cached
// or reasoning tokens separately bill them as ordinary input or output.
func (p *Price) setDefaults() {
	fillRates(&p.Input, &p.CachedInput, &p.CacheWrite, &p.Output, &p.Reasoning, p.Set)
	if t := p.LongContext; t != nil {
		fillRates(&t.Input, &t.CachedInput, &t.CacheWrite, &t.Output, &t.Reasoning, t.Set)
	}
	for i := range p.Versions {
		p.Versions[i].setDefaults()
	}
}

func fillRates(input, cached, write, output, reasoning *money.Price, set PriceFields) {
	if *cached == 0 && !set.CachedInput {
		*cached = *input
	}
	if *write == 0 && !set.CacheWrite {
		*write = *input
	}
	if *reasoning == 0 && !set.Reasoning {
		*reasoning = *output
	}
}

// price checks the price of the deployment at key path p.
func (v *validator) price(p string, d *Deployment) {
	pr := &d.Price
	key := p + ".price"
	switch {
	case !pr.isSet() && pr.Pos == (Pos{}):
		// Neither given in YAML (not even as "price: {}") nor in code.
		name := d.Name
		if name == "" {
			name = d.Provider + "/" + d.Model
		}
		v.errorf(key, d.Pos, "deployment %s has no price: add price: {input: ..., output: ...} in USD per million tokens, or price: %s to track its usage without a cost",
			v.quote(name, p+".name", p+".provider", p+".model"), Unpriced)
	case pr.Unpriced:
		if pr.Versions != nil || pr.Set != (PriceFields{}) || pr.Input != 0 || pr.Output != 0 {
			v.errorf(key, pr.Pos, "%s has no rates; give either rates or %s", Unpriced, Unpriced)
		}
	case pr.Versions != nil:
		if len(pr.Versions) == 0 {
			v.errorf(key, pr.Pos, "at least one price is required")
		}
		for i := range pr.Versions {
			ver := &pr.Versions[i]
			vk := key + "[" + strconv.Itoa(i) + "]"
			v.rates(vk, ver)
			if i == 0 {
				continue
			}
			prev := pr.Versions[i-1].From
			switch {
			case ver.From.IsZero():
				v.errorf(vk+".from", ver.Pos, "is required after the first price: when do these rates take effect?")
			case !ver.From.After(prev):
				v.errorf(vk+".from", ver.Pos, "must be after the previous price's from (%s): versions are listed oldest first", prev.Format(time.RFC3339))
			}
		}
	default:
		v.rates(key, pr)
	}
}

// rates checks one set of rates at key.
func (v *validator) rates(key string, p *Price) {
	v.priceFields(key, p.Pos, p.Set, p.Input, p.CachedInput, p.CacheWrite, p.Output, p.Reasoning)
	if t := p.LongContext; t != nil {
		tk := key + ".long_context"
		if t.Above <= 0 {
			v.errorf(tk+".above", t.Pos, "is required: the prompt tokens above which the long-context price applies")
		}
		v.priceFields(tk, t.Pos, t.Set, t.Input, t.CachedInput, t.CacheWrite, t.Output, t.Reasoning)
	}
}

func (v *validator) priceFields(key string, pos Pos, set PriceFields, input, cached, write, output, reasoning money.Price) {
	if !set.Input && input == 0 {
		v.errorf(key+".input", pos, `is required, in USD per million tokens ("0" if free)`)
	}
	if !set.Output && output == 0 {
		v.errorf(key+".output", pos, `is required, in USD per million tokens ("0" if free)`)
	}
	// YAML cannot give a negative price (ParsePerMillion refuses it); code can.
	for _, f := range []struct {
		name string
		p    money.Price
	}{{"input", input}, {"cached_input", cached}, {"cache_write", write}, {"output", output}, {"reasoning", reasoning}} {
		if f.p < 0 {
			v.errorf(key+"."+f.name, pos, "must not be negative")
		}
	}
}

// PriceSchedule returns d's prices as a schedule with version ids, for the
// price book and routing. It applies the rate defaults itself, so it gives
// the same answer before and after SetDefaults; call it on a valid config.
func (d *Deployment) PriceSchedule() price.Schedule {
	p := d.Price
	if p.Unpriced {
		return price.Schedule{Unpriced: true}
	}
	versions := p.Versions
	if versions == nil {
		versions = []Price{p}
	}
	s := price.Schedule{Versions: make([]price.Version, len(versions))}
	for i, ver := range versions {
		s.Versions[i] = price.NewVersion(d.Name, ver.From, ver.Rates())
	}
	return s
}

// Rates converts one set of rates (the map form, or one entry of Versions)
// with the defaults applied.
func (p Price) Rates() price.Rates {
	r := price.Rates{Input: p.Input, CachedInput: p.CachedInput, CacheWrite: p.CacheWrite, Output: p.Output, Reasoning: p.Reasoning}
	fillRates(&r.Input, &r.CachedInput, &r.CacheWrite, &r.Output, &r.Reasoning, p.Set)
	if t := p.LongContext; t != nil {
		r.LongContext = &price.Tier{Above: t.Above, Input: t.Input, CachedInput: t.CachedInput, CacheWrite: t.CacheWrite, Output: t.Output, Reasoning: t.Reasoning}
		lc := r.LongContext
		fillRates(&lc.Input, &lc.CachedInput, &lc.CacheWrite, &lc.Output, &lc.Reasoning, t.Set)
	}
	return r
}

// PriceBook returns the price book of every deployment in c: what the
// settlement point prices usage with. Call it on a valid config.
func (c *Config) PriceBook() *price.Book {
	b := price.NewBook()
	for i := range c.Models {
		for j := range c.Models[i].Deployments {
			d := &c.Models[i].Deployments[j]
			b.Set(d.Name, d.PriceSchedule())
		}
	}
	return b
}

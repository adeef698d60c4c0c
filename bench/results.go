package bench

import (
	"encoding/json"
	"os"
	"time"
)

// Results is everything one run measured, as written to results.json;
// the report is generated from it and nothing else.
type Results struct {
	Env      Environment `json:"environment"`
	Settings Settings    `json:"settings"`
	Started  time.Time   `json:"started"`
	Finished time.Time   `json:"finished"`
	Fills    []Fill      `json:"fills"`
	Cells    []Cell      `json:"cells"`
	Skips    []Skip      `json:"skips"`
	Soak     *SoakResult `json:"soak,omitempty"`
}

// Op names the operation a Cell measured.
type Op string

// The operations of the workload.
const (
	OpSet     Op = "set"     // create a new item
	OpGet     Op = "get"     // read a random existing item
	OpDelete  Op = "delete"  // delete the item just created
	OpList    Op = "list"    // the keys of Service
	OpCLIGet  Op = "cli-get" // a process that prints one value
	OpWriters Op = "writers" // W concurrent writers overwriting items
)

// Cell is one comparison: the same operation on two or more stores of the
// same size, interleaved in one run. Sides[0] is the baseline the ratios
// are taken against (securestore), except where the report says.
type Cell struct {
	Op      Op     `json:"op"`
	Items   int    `json:"items"`
	Writers int    `json:"writers,omitempty"`
	Sides   []Side `json:"sides"`
}

// Side is one store's figures in a Cell.
type Side struct {
	Store   string  `json:"store"`
	Latency Summary `json:"latency"`
	// Ops, Seconds and PerSecond are the throughput of a writers cell.
	Ops       int     `json:"ops,omitempty"`
	Seconds   float64 `json:"seconds,omitempty"`
	PerSecond float64 `json:"per_second,omitempty"`
}

// Fill is one pre-fill of a store from From to To items.
type Fill struct {
	Store    string        `json:"store"`
	From     int           `json:"from"`
	To       int           `json:"to"`
	Duration time.Duration `json:"duration_ns"`
	Method   string        `json:"method"`
}

// Skip is something the run did not measure, and why.
type Skip struct {
	Store string `json:"store"`
	What  string `json:"what"`
	Why   string `json:"why"`
}

// WriteJSON saves v (Results, SoakResult) as indented JSON.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadJSON loads what WriteJSON saved.
func ReadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// side is the named store's figures in c, if it took part.
func (c Cell) side(store string) (Side, bool) {
	for _, s := range c.Sides {
		if s.Store == store {
			return s, true
		}
	}
	return Side{}, false
}

// ratioP50 is how many times longer store's median took than base's.
func (c Cell) ratioP50(store, base string) float64 {
	s, ok1 := c.side(store)
	b, ok2 := c.side(base)
	if !ok1 || !ok2 || b.Latency.P50 <= 0 {
		return 0
	}
	return float64(s.Latency.P50) / float64(b.Latency.P50)
}

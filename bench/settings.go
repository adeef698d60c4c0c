package bench

import "time"

// Settings size a run. FullSettings is the documented run (about 10–15
// minutes on the 2-core test machine); QuickSettings checks that
// everything works, in a few minutes, with numbers too thin to quote.
type Settings struct {
	Quick bool `json:"quick"`
	// CLIOnly runs only the CLI get comparison (CLISettings).
	CLIOnly bool `json:"cli_only,omitempty"`
	// Sizes are the store sizes measured, smallest first; every store is
	// pre-filled to each in turn.
	Sizes []int `json:"sizes"`
	// KeyringMaxItems caps the gnome-keyring peers (see keyringMaxItemsWhy).
	KeyringMaxItems int `json:"keyring_max_items"`
	// Items bounds each comparison of writes (Set and Delete) and each of
	// reads (Get), List each list comparison, CLI the CLI get comparison.
	Items Budget `json:"items"`
	List  Budget `json:"list"`
	CLI   Budget `json:"cli"`
	// Writers are the numbers of concurrent writers, measured on stores
	// of WritersAt items, in WriterRounds rounds of WriterChunk per side.
	Writers      []int         `json:"writers"`
	WritersAt    int           `json:"writers_at"`
	WriterChunk  time.Duration `json:"writer_chunk_ns"`
	WriterRounds int           `json:"writer_rounds"`
}

// FullSettings is the run docs/BENCHMARKS.md reports.
func FullSettings() Settings {
	return Settings{
		Sizes:           []int{10, 100, 1_000, 10_000},
		KeyringMaxItems: 1_000,
		Items:           Budget{Time: 3 * time.Second, MinUnits: 30, Block: 20 * time.Millisecond},
		List:            Budget{Time: 2 * time.Second, MinUnits: 5, Block: 20 * time.Millisecond},
		CLI:             Budget{Time: 5 * time.Second, MinUnits: 30},
		Writers:         []int{1, 8, 64},
		// At 1,000 items a gnome-keyring write costs tens to hundreds of
		// milliseconds, and 64 writers leave 64 of them queued at every
		// round's end: minutes of waiting that measure only the queue.
		WritersAt:    100,
		WriterChunk:  time.Second,
		WriterRounds: 3,
	}
}

// QuickSettings is bench/run.sh --quick.
func QuickSettings() Settings {
	return Settings{
		Quick:           true,
		Sizes:           []int{10, 100},
		KeyringMaxItems: 100,
		Items:           Budget{Time: time.Second, MinUnits: 5, Block: 20 * time.Millisecond},
		List:            Budget{Time: 300 * time.Millisecond, MinUnits: 2, Block: 20 * time.Millisecond},
		CLI:             Budget{Time: time.Second, MinUnits: 5},
		Writers:         []int{1, 8, 64},
		WritersAt:       100,
		WriterChunk:     300 * time.Millisecond,
		WriterRounds:    2,
	}
}

// CLISettings is storebench run -cli-only: the CLI get comparison alone,
// on a store of 10,000 items, with enough processes per command for
// stable medians on a shared machine (a few minutes).
func CLISettings() Settings {
	return Settings{
		CLIOnly:         true,
		Sizes:           []int{10_000},
		KeyringMaxItems: 1_000,
		CLI:             Budget{Time: 60 * time.Second, MinUnits: 300},
	}
}

//go:build !unix

package securestore_test

import "time"

// processCPU is not measured here; the write benchmarks then report 0.
func processCPU() time.Duration { return 0 }

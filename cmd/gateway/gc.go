package main

import "runtime/debug"

// defaultGCPercent is the garbage collector's target when GOGC is not set.
// Measured with bench/ (GetInstance, 64 calls in flight, whole process,
// medians of 5): GOGC=100 spends 16% of the CPU in the collector and serves
// 9,255 calls/s; 200 spends 9% and serves 11,180 (+21%) for a heap goal of
// 16 MB instead of 11 MB; 400 adds 5% more calls/s for a 28 MB goal. 200
// takes most of the gain for little memory. See README "Benchmarks".
const defaultGCPercent = 200

// setGC applies defaultGCPercent unless the operator set GOGC (the runtime
// has already read it) and returns the percent in force. GOMEMLIMIT, when
// set, still bounds the heap either way.
func setGC(lookupEnv func(string) (string, bool)) int {
	if _, set := lookupEnv("GOGC"); set {
		old := debug.SetGCPercent(100)
		debug.SetGCPercent(old)
		return old
	}
	debug.SetGCPercent(defaultGCPercent)
	return defaultGCPercent
}

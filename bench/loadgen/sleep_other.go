//go:build !linux

package loadgen

import "time"

func lockSchedulerThread() {}

func sleepFor(d time.Duration) { time.Sleep(d) }

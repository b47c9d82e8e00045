package loadgen

import (
	"runtime"
	"syscall"
	"time"
)

// prSetTimerSlack is prctl's PR_SET_TIMERSLACK.
const prSetTimerSlack = 29

// lockSchedulerThread gives the scheduling goroutine a thread of its own with
// a 1µs timer slack (the default is 50µs), for sleepFor. The thread dies with
// the goroutine, which never unlocks it.
func lockSchedulerThread() {
	runtime.LockOSThread()
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1000, 0)
}

// sleepFor blocks the thread in nanosleep. Go's own timers wake a sleeping
// runtime through epoll_wait, whose timeout is in whole milliseconds: a 500µs
// sleep lasts a millisecond or more, which at 2,000 req/s would send requests
// in pairs. nanosleep wakes within a few tens of µs.
func sleepFor(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}

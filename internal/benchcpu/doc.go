// Package benchcpu reports, in benchmarks, the CPU time of the benchmark's
// own OS thread per operation ("cpu-ns/op"). On a shared, busy machine wall
// time (sec/op) includes the time the thread waited for a core; CPU time
// does not, so it compares rows more steadily. Work done on other threads
// (background GC) is not in it. Where the system cannot say, nothing is
// reported.
package benchcpu

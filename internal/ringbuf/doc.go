// Package ringbuf is the bounded queue between the goroutines that log and
// the one goroutine that writes: many producers, a single consumer, a fixed
// number of slots, and producers that wait only for a consumer making
// progress.
//
// When the ring is full a Push with a Gate waits for the consumer as long
// as the consumer makes progress (takes entries, finishes a call into its
// sink); once the consumer has made no progress for the gate's stall time,
// and without a Gate at once, Push evicts the oldest entry (or, with a
// reserve, the oldest entry of the unreserved class) instead and hands
// every evicted entry to the ring's drop callback, so the caller can count
// and report exactly what was lost and return pooled resources. No lock is
// held while a producer waits. Entries pushed by
// one goroutine are popped in the order it pushed them. The consumer takes
// entries in batches with Pop and, when the ring is empty, sleeps on the
// channel returned by Wake, which a producer signals only when the consumer
// has gone idle, so a busy pipeline pays nothing for wake-ups.
//
// The ring is guarded by one mutex whose critical sections copy a handful of
// words: it is meant for small entries (pointers, or small structs holding
// pointers). The async package builds async.Handler and async.Writer on it.
package ringbuf

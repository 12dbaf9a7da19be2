package benchmarks

// slogstackSyncTargets returns slogstack's synchronous setups.
func slogstackSyncTargets() []Target { return nil }

// slogstackBufferedTargets returns slogstack's asynchronous setups.
func slogstackBufferedTargets() []Target { return nil }

// SlogstackJSONName is the name of the target that logs through
// handler.JSONHandler synchronously.
const SlogstackJSONName = "slogstack-json"

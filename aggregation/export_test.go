package aggregation

// ReadsMessageOnly exposes readsMessageOnly to the external tests.
var ReadsMessageOnly = readsMessageOnly

package aggregation_test

import (
	"testing"

	"github.com/slogstack/slogstack/aggregation"
)

// TestMatchPrefixesKnownFromAnotherPackage checks that a Matcher made by
// MatchPrefixes in another package is still known to read the message
// alone (the compiler must not give it other code there).
func TestMatchPrefixesKnownFromAnotherPackage(t *testing.T) {
	if !aggregation.ReadsMessageOnly(aggregation.MatchPrefixes("a")) {
		t.Error("MatchPrefixes called from another package: not known to read the message alone")
	}
}

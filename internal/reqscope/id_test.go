package reqscope

import (
	"strings"
	"testing"
)

func TestValidID(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"", false},
		{"a", true},
		{"abc-DEF_123.xyz:9", true},
		{"0af7651916cd43dd8448eb211c80319c", true},
		{strings.Repeat("a", 128), true},
		{strings.Repeat("a", 129), false},
		{"with space", false},
		{"tab\t", false},
		{"new\nline", false},
		{"cr\r", false},
		{"quote\"", false},
		{"slash/", false},
		{"eq=", false},
		{"semi;", false},
		{"comma,", false},
		{"ünïcode", false},
		{"\x00", false},
		{"\x7f", false},
		{"<script>", false},
		{"{\"json\":1}", false},
	} {
		if got := ValidID(tc.id); got != tc.want {
			t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

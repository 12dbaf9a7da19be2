package redact

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFlagsAndElements checks secrets given as command-line flags and as
// XML or HTML elements in free text, and the near misses that stay.
func TestFlagsAndElements(t *testing.T) {
	x := NewRedactor(DefaultOptions())
	tests := []struct{ in, want string }{
		{"--password hunter2", "--password [REDACTED]"},
		{"--password=hunter2", "--password=[REDACTED]"},
		{"app --verbose --api-key k-123 --port 80", "app --verbose --api-key [REDACTED] --port 80"},
		{"run --db-password hunter2\n", "run --db-password [REDACTED]\n"},
		{"--password --other", "--password --other"},       // no value
		{"--token-count 5", "--token-count 5"},             // a counter
		{"a--password hunter2", "a--password hunter2"},     // not a flag
		{"--author bob", "--author bob"},                   // not a secret word
		{"--password [REDACTED]", "--password [REDACTED]"}, // already masked
		{"<password>hunter2</password>", "<password>[REDACTED]</password>"},
		{`<user><name>bob</name><password type="t">hunter2</password></user>`, `<user><name>bob</name><password type="t">[REDACTED]</password></user>`},
		{"<ns:password>hunter2</ns:password>", "<ns:password>[REDACTED]</ns:password>"},
		{"<apiKey>k<b>x</b>y</apiKey>", "<apiKey>[REDACTED]</apiKey>"},
		{"<token>abc123", "<token>[REDACTED]"},                      // cut short
		{"<password>hunter2<note>x</note>", "<password>[REDACTED]"}, // no closing tag: to the end
		{"<password/>", "<password/>"},
		{"<password></password>", "<password></password>"},
		{"<p>my password</p>", "<p>my password</p>"},
		{"<author>bob</author>", "<author>bob</author>"},
		{"a < b and c > d", "a < b and c > d"},
	}
	for _, tt := range tests {
		got, _ := x.RedactString(tt.in)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.in, diff)
		}
		if again, _ := x.RedactString(got); again != got {
			t.Errorf("%q: second pass changed %q to %q", tt.in, got, again)
		}
	}
}

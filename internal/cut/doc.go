// Package cut shortens text to a length limit without leaving part of a
// word at the cut. A value cut in the middle of a secret (a card number
// whose check digit is cut off, the first characters of a token) no longer
// matches the patterns that would mask the whole, yet still gives most of
// it away; so a cut drops the partial word at its end, and text cut to a
// limit reaches redaction without one.
package cut

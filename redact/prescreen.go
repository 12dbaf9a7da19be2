package redact

import "strings"

// trigger classes of the byte pre-screen.
const (
	trigNone  = iota
	trigDigit // a digit: counts towards a card-number run
	trigSep   // ' ', '-' or '.': may separate digit groups
	trigByte  // may start a pattern's literal prefix
)

// triggers classifies every byte for prescreen.
var triggers = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = trigDigit
	}
	t[' '], t['-'], t['.'] = trigSep, trigSep, trigSep
	for _, c := range "JbBAx_v:=<" {
		t[c] = trigByte
	}
	return t
}()

// slackHook is the literal every Slack webhook URL holds; slackHookHead,
// the part of it before its first 'v'.
const (
	slackHook     = "hooks.slack.com/services/"
	slackHookHead = "hooks.slack.com/ser"
)

// minCardDigits is the shortest card number.
const minCardDigits = 13

// prescreen returns the set (bit i = pattern i) of patterns that may match
// s. It reads every byte once, looks most of them up in a 256-entry table
// and compares a few bytes at rare trigger positions; it never allocates. A
// zero result means nothing in s can match a built-in pattern.
func prescreen(s string) uint32 {
	var f uint32
	run := 0
	lastDigit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch triggers[c] {
		case trigNone:
			run, lastDigit = 0, false
			continue
		case trigDigit:
			run++
			lastDigit = true
			// A card number may be spelled as a JSON number: its digits
			// split by the fraction's '.', or fewer digits and an exponent
			// (4111111.111111111e9, 411111111111e4).
			if run >= minCardDigits || i+1 < len(s) && (s[i+1] == 'e' || s[i+1] == 'E') {
				f |= 1 << patCard
			}
			continue
		case trigSep:
			if !lastDigit {
				run = 0
			}
			lastDigit = false
			if c == '-' && i+1 < len(s) && s[i+1] == '-' {
				if strings.HasPrefix(s[i:], "-----BEGIN") {
					f |= 1 << patPrivateKey
				}
				f |= 1 << patKeyValue // a command-line flag: --password value
			}
			continue
		}
		run, lastDigit = 0, false
		rest := s[i:]
		switch c {
		case 'J':
			// A JWT starts "eyJ": the rare 'J' is the trigger, not the
			// common 'e', and the two bytes before it are compared.
			if i >= 2 && s[i-2] == 'e' && s[i-1] == 'y' {
				f |= 1 << patJWT
			}
		case 'b', 'B':
			if hasPrefixFold(rest, "bearer") {
				f |= 1 << patBearer
			} else if hasPrefixFold(rest, "basic") {
				f |= 1 << patBasic
			}
		case 'A':
			if strings.HasPrefix(rest, "AKIA") || strings.HasPrefix(rest, "ASIA") {
				f |= 1 << patAWSAccessKey
			} else if strings.HasPrefix(rest, "AIza") {
				f |= 1 << patGCPAPIKey
			}
		case '_':
			// GitHub, Stripe and Stripe webhook keys all hold a '_': the
			// bytes around the first one of each prefix are compared,
			// rather than triggering on the common 'g', 'k' and 'w'.
			if i >= 3 && s[i-3] == 'g' && s[i-2] == 'h' && strings.IndexByte("pousr", s[i-1]) >= 0 ||
				i >= 6 && s[i-6:i] == "github" && strings.HasPrefix(rest, "_pat_") {
				f |= 1 << patGitHubToken
			}
			if i >= 2 && s[i-1] == 'k' && (s[i-2] == 's' || s[i-2] == 'r') &&
				(strings.HasPrefix(rest, "_live_") || strings.HasPrefix(rest, "_test_")) ||
				i >= 5 && s[i-5:i] == "whsec" {
				f |= 1 << patStripeKey
			}
		case 'x':
			if strings.HasPrefix(rest, "xox") {
				f |= 1 << patSlackToken
			}
		case 'v':
			// A Slack webhook, with or without its scheme: the rule's
			// literal is "hooks.slack.com/services/", whose rare 'v' is
			// the trigger.
			if i >= len(slackHookHead) && strings.HasPrefix(s[i-len(slackHookHead):], slackHook) {
				f |= 1 << patSlackToken
			}
		case ':':
			if strings.HasPrefix(rest, "://") {
				if strings.IndexByte(rest, '@') >= 0 {
					f |= 1 << patURLPassword
				}
			} else {
				f |= 1 << patKeyValue
			}
		case '=', '<':
			f |= 1 << patKeyValue
		}
	}
	return f
}

// hasPrefixFold reports whether s starts with lower, ignoring ASCII case.
// lower must be lower-case ASCII.
func hasPrefixFold(s, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

package redact

import "strconv"

// maxCardDigits is the longest card number.
const maxCardDigits = 19

// maxCardGroups bounds the digit groups examined in one run.
const maxCardGroups = 24

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

// isCardNumber reports whether digits (which may contain ' ' and '-')
// holds 13 to 19 digits, starts with 2 to 6 (the major networks' issuer
// prefixes; this keeps Unix timestamps in nanoseconds and most sequential
// IDs out) and passes the Luhn check.
func isCardNumber[T string | []byte](digits T) bool {
	n := 0
	first := byte(0)
	for i := 0; i < len(digits); i++ {
		if isDigit(digits[i]) {
			if n == 0 {
				first = digits[i]
			}
			n++
		}
	}
	if n < minCardDigits || n > maxCardDigits || first < '2' || first > '6' {
		return false
	}
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if !isDigit(c) {
			continue
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// findCards appends to out the spans of card numbers in s. A candidate is a
// run of digit groups separated by single spaces or dashes, not touching a
// letter, digit or underscore on either side. Within a run, each window of
// whole consecutive groups holding 13 to 19 digits is tried from the left;
// a run that is one group longer than 19 digits (a long ID) is never a card.
func findCards(s string, out []span) []span {
	var groups [maxCardGroups][2]int
	for i := 0; i < len(s); {
		if !isDigit(s[i]) || i > 0 && isAlnum(s[i-1]) {
			i++
			continue
		}
		if end, ok := spelledCard(s, i); ok {
			out = append(out, span{start: i, end: end, pat: patCard})
			i = end
			continue
		}
		ng := 0
		j := i
		for {
			start := j
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			if ng < maxCardGroups {
				groups[ng] = [2]int{start, j}
				ng++
			}
			if j+1 < len(s) && (s[j] == ' ' || s[j] == '-') && isDigit(s[j+1]) {
				j++
				continue
			}
			break
		}
		end := j
		if end < len(s) && isAlnum(s[end]) {
			// Part of a longer token: skip the rest of it.
			for end < len(s) && isAlnum(s[end]) {
				end++
			}
			i = end
			continue
		}
		for a := 0; a < ng; a++ {
			count := 0
			for b := a; b < ng; b++ {
				count += groups[b][1] - groups[b][0]
				if count > maxCardDigits {
					break
				}
				if count >= minCardDigits && isCardNumber(s[groups[a][0]:groups[b][1]]) {
					out = append(out, span{start: groups[a][0], end: groups[b][1], pat: patCard})
					a = b
					break
				}
			}
		}
		i = end
	}
	return out
}

// minCardInt is the smallest 13-digit number.
const minCardInt = 1_000_000_000_000

// isCardInt reports whether an integer value is a card number.
func isCardInt(u uint64) bool {
	if u < minCardInt {
		return false
	}
	var buf [20]byte
	return isCardNumber(strconv.AppendUint(buf[:0], u, 10))
}

// maxCardFloat is the first float64 past every 19-digit number.
const maxCardFloat = 1e19

// isCardFloat reports whether a float value is a whole number that is a
// card number (the JSON encoder writes such a float as its digits).
func isCardFloat(f float64) bool {
	if f < minCardInt || f >= maxCardFloat || f != float64(uint64(f)) {
		return false
	}
	return isCardInt(uint64(f))
}

// spelledCard reports whether s holds at i a JSON number with a fraction or
// an exponent (4111111111111111.0, 4111111111111111e0), not touching a
// letter, digit or underscore after it, that is a card number, and returns
// its end.
func spelledCard(s string, i int) (int, bool) {
	if i > 0 && s[i-1] == '.' {
		return 0, false
	}
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	spelled := false
	if j+1 < len(s) && s[j] == '.' && isDigit(s[j+1]) {
		spelled = true
		for j++; j < len(s) && isDigit(s[j]); j++ {
		}
	}
	if j+1 < len(s) && (s[j] == 'e' || s[j] == 'E') {
		e := j + 1
		if e < len(s) && (s[e] == '+' || s[e] == '-') {
			e++
		}
		if e < len(s) && isDigit(s[e]) {
			spelled = true
			for j = e; j < len(s) && isDigit(s[j]); j++ {
			}
		}
	}
	if !spelled || j < len(s) && (isAlnum(s[j]) || s[j] == '.') || !isCardLiteral(s[i:j]) {
		return 0, false
	}
	return j, true
}

// isCardLiteral reports whether lit, a JSON number literal (digits, an
// optional fraction and exponent, no sign), is a whole number that is a
// card number: 4111111111111111, 4111111111111111.0, 4111111111111111e0
// and 4.111111111111111e15 are the same number to a JSON reader.
func isCardLiteral[T string | []byte](lit T) bool {
	var buf [maxCardDigits]byte
	digits := buf[:0]
	i, exp, fracDigits := 0, 0, 0
	appendDigit := func(c byte) bool {
		if len(digits) == 0 && c == '0' {
			return true // leading zeros say nothing
		}
		if len(digits) == maxCardDigits {
			return false
		}
		digits = append(digits, c)
		return true
	}
	for ; i < len(lit) && isDigit(lit[i]); i++ {
		if !appendDigit(lit[i]) {
			return false
		}
	}
	if i < len(lit) && lit[i] == '.' {
		for i++; i < len(lit) && isDigit(lit[i]); i++ {
			if !appendDigit(lit[i]) {
				if lit[i] != '0' {
					return false
				}
				continue // trailing zeros of the fraction are dropped below
			}
			fracDigits++
		}
	}
	if i < len(lit) && (lit[i] == 'e' || lit[i] == 'E') {
		i++
		neg := i < len(lit) && lit[i] == '-'
		if i < len(lit) && (lit[i] == '+' || lit[i] == '-') {
			i++
		}
		for ; i < len(lit) && isDigit(lit[i]); i++ {
			if exp = exp*10 + int(lit[i]-'0'); exp > 2*maxCardDigits {
				return false
			}
		}
		if neg {
			exp = -exp
		}
	}
	if i != len(lit) || len(digits) == 0 {
		return false
	}
	exp -= fracDigits
	for exp < 0 && len(digits) > 0 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		exp++
	}
	if exp < 0 || len(digits)+exp > maxCardDigits {
		return false
	}
	for ; exp > 0; exp-- {
		digits = append(digits, '0')
	}
	return isCardNumber(digits)
}

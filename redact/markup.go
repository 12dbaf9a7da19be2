package redact

import "strings"

// scanFlags appends to out the spans of values that follow a command-line
// flag naming a secret, written as a separate word: "--password hunter2".
// The flag must start the text or follow white space, and its value is the
// next word, which must not itself be a flag. ("--password=hunter2" is a
// key=value pair, found by scanKeyValues.)
func scanFlags(s string, x *Redactor, t *tally, out []span) []span {
	for i := 0; i+2 < len(s); i++ {
		if s[i] != '-' || s[i+1] != '-' || i > 0 && !isSpace(s[i-1]) {
			continue
		}
		k := i + 2
		end := k
		for end < len(s) && isKeyByte(s[end]) && end-k <= maxInlineKeyLen {
			end++
		}
		if end == k || end-k > maxInlineKeyLen || end+1 >= len(s) || s[end] != ' ' || s[end+1] == '-' {
			i = end
			continue
		}
		start := end + 1
		vend := start
		for vend < len(s) && !isSpace(s[vend]) && s[vend] != '"' && s[vend] != '\'' {
			vend++
		}
		if vend == start || x.alreadyMasked(s[start:]) || !x.secretKey(s[k:end], t) {
			i = end
			continue
		}
		out = append(out, span{start: start, end: vend, pat: patKeyValue})
		i = vend
	}
	return out
}

// scanElements appends to out the spans of the contents of XML or HTML
// elements whose name is a secret key: "<password>hunter2</password>",
// "<api_key type="x">k</api_key>". The content runs to the element's
// closing tag or, when there is none (a body cut short), to the end of the
// text.
func scanElements(s string, x *Redactor, t *tally, out []span) []span {
	for i := 0; i+1 < len(s); i++ {
		if s[i] != '<' {
			continue
		}
		if x.alreadyMasked(s[i:]) {
			// A replacement that looks like a tag (<secret>) is no element.
			i += len(x.repl) - 1
			continue
		}
		k := i + 1
		end := k
		for end < len(s) && (isKeyByte(s[end]) || s[end] == ':') && end-k <= maxInlineKeyLen {
			end++
		}
		if end == k || end-k > maxInlineKeyLen || end >= len(s) || s[end] != '>' && !isSpace(s[end]) {
			continue
		}
		gt := tagEnd(s, end)
		if gt < 0 || s[gt-1] == '/' {
			continue // not a tag, a tag cut short, or an empty element
		}
		start := gt + 1
		name := s[k:end]
		if start >= len(s) || x.alreadyMasked(s[start:]) || !x.secretKey(localName(name), t) {
			continue
		}
		vend := closingTag(s, start, name)
		if vend <= start {
			continue
		}
		out = append(out, span{start: start, end: vend, pat: patKeyValue})
		i = vend - 1
	}
	return out
}

// maxTagLen bounds the attributes of a tag searched for its '>'.
const maxTagLen = 256

// tagEnd returns the index of the '>' that ends the tag whose name ends at
// i, or -1 when there is none within maxTagLen bytes before the next '<'.
func tagEnd(s string, i int) int {
	for j := i; j < len(s) && j-i <= maxTagLen; j++ {
		switch s[j] {
		case '>':
			return j
		case '<':
			return -1
		}
	}
	return -1
}

// closingTag returns where the content of the element name, starting at
// start, ends: at its closing tag, or at the end of s when there is none (a
// body cut short; the rest may all be the secret). The caller resumes past
// the result, so a text is read once however many elements it holds.
func closingTag(s string, start int, name string) int {
	rest := s[start:]
	for j := 0; ; {
		n := strings.Index(rest[j:], "</")
		if n < 0 {
			return len(s)
		}
		j += n + 2
		if strings.HasPrefix(rest[j:], name) && j+len(name) < len(rest) && rest[j+len(name)] == '>' {
			return start + j - 2
		}
	}
}

// localName returns name without its XML namespace prefix (ns:password).
func localName(name string) string {
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

package otlpsink

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzLogsURL: any Endpoint either is refused, with an error that never
// holds the password it may carry, or gives an http or https URL with a
// host, no user information, query or fragment, whose path ends in
// /v1/logs exactly once.
func FuzzLogsURL(f *testing.F) {
	for _, s := range []string{
		"http://127.0.0.1:4318", "https://collector:4318/base/", "http://h/v1/logs",
		"http://user:hunter2secret@host:4318", "http://user:hunter2secret@ho st",
		"http://user:hunter2secret@host:%zz", "ftp://h", "http://h?q", "http://h#f", "",
		"http://[::1]:4318", "http://h/%2F", "https://h/a%20b/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, endpoint string) {
		got, err := logsURL(endpoint)
		if err != nil {
			if p := password(endpoint); p != "" && strings.Contains(err.Error(), p) {
				t.Fatalf("logsURL(%q): the error shows the password: %v", endpoint, err)
			}
			return
		}
		u, perr := url.Parse(got)
		if perr != nil {
			t.Fatalf("logsURL(%q) = %q, which does not parse: %v", endpoint, got, perr)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil ||
			u.RawQuery != "" || u.Fragment != "" || !strings.HasSuffix(u.Path, "/v1/logs") ||
			strings.HasSuffix(strings.TrimSuffix(u.Path, "/v1/logs"), "/v1/logs") {
			t.Fatalf("logsURL(%q) = %q: not a Collector's logs URL", endpoint, got)
		}
	})
}

// password is the password between "://" and "@" in s, if it looks like
// it has one, found without parsing s (the parser may refuse it).
func password(s string) string {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return ""
	}
	userinfo, _, ok := strings.Cut(rest, "@")
	if !ok {
		return ""
	}
	_, pw, ok := strings.Cut(userinfo, ":")
	if !ok || len(pw) < 4 {
		return ""
	}
	return pw
}

package sampling

import (
	"strings"
	"testing"
	"time"
)

func TestForceToken(t *testing.T) {
	key := []byte("sampling-force-key-0123456789abc")
	now := time.Now()
	tests := []struct {
		name    string
		key     []byte
		id      string
		expiry  time.Time
		wantErr string // a prefix of the error; "" for a token
	}{
		{"valid", key, "order-1", now.Add(10 * time.Minute), ""},
		{"longest lifetime", key, "order-1", now.Add(24*time.Hour - time.Second), ""},
		{"16-byte key", key[:16], "order-1", now.Add(time.Minute), ""},
		{"longest ID", key, strings.Repeat("a", 128), now.Add(time.Minute), ""},
		{"no key", nil, "order-1", now.Add(time.Minute), "sampling: ForceToken: the key has 0 bytes; it must have at least 16"},
		{"15-byte key", key[:15], "order-1", now.Add(time.Minute), "sampling: ForceToken: the key has 15 bytes; it must have at least 16"},
		{"empty ID", key, "", now.Add(time.Minute), "sampling: ForceToken: the correlation ID is not"},
		{"ID too long", key, strings.Repeat("a", 129), now.Add(time.Minute), "sampling: ForceToken: the correlation ID is not"},
		{"ID with a newline", key, "a\nb", now.Add(time.Minute), "sampling: ForceToken: the correlation ID is not"},
		{"expiry now", key, "order-1", now, "sampling: ForceToken: expiry"},
		{"expiry within this second", key, "order-1", now.Truncate(time.Second), "sampling: ForceToken: expiry"},
		{"expiry past", key, "order-1", now.Add(-time.Hour), "sampling: ForceToken: expiry"},
		{"lifetime too long", key, "order-1", now.Add(24*time.Hour + 2*time.Second), "sampling: ForceToken: expiry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := ForceToken(tt.key, tt.id, tt.expiry)
			if tt.wantErr == "" {
				if err != nil || !strings.HasPrefix(tok, "v1.") || len(tok) > 128 {
					t.Errorf("ForceToken = %q, %v; want a token", tok, err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || tok != "" {
				t.Errorf("ForceToken = %q, %v; want no token and an error starting %q", tok, err, tt.wantErr)
			}
		})
	}
}

package httpctx

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"
)

// mintAt makes a token as its documented form says, independently of the
// package's own minting: v1.<expiry>.<base64url(HMAC-SHA256(key,
// "slogstack-force-v1\n" + id + "\n" + expiry))>.
func mintAt(key []byte, id string, expiry time.Time) string {
	exp := strconv.FormatInt(expiry.Unix(), 10)
	m := hmac.New(sha256.New, key)
	m.Write([]byte("slogstack-force-v1\n" + id + "\n" + exp))
	return "v1." + exp + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

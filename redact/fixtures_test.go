package redact

import "strings"

// Real-looking secrets, assembled so that the source file itself holds no
// live-looking token.
var (
	secretJWT     = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ" + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	secretAWS     = "AKIA" + "IOSFODNN7EXAMPLE"
	secretAWSTemp = "ASIA" + "Y34FZKBOKMUTVV7A"
	secretGCP     = "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
	secretGitHub  = "ghp_" + strings.Repeat("aB3d", 9)
	secretGHPAT   = "github_pat_" + "11ABCDEFG0" + strings.Repeat("x1Y2", 10)
	secretSlack   = "xoxb-" + "123456789012-1234567890123-" + strings.Repeat("AbCd", 6)
	secretStripe  = "sk_live_" + strings.Repeat("4eC39HqLyjWDarjtT1zdp7dc", 1)
	secretWhsec   = "whsec_" + strings.Repeat("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 1)
	secretBearer  = "mF_9.B5f-4.1JqM"
	secretBasic   = "dXNlcjpodW50ZXIy" // user:hunter2
	secretPEM     = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----"
	secretCard    = "4111 1111 1111 1111"
	secretCardRaw = "5500005555555559"
	secretAmex    = "3782-822463-10005"
)

// defaultsWith returns DefaultOptions with edit applied.
func defaultsWith(edit func(o *Options)) Options {
	o := DefaultOptions()
	edit(&o)
	return o
}

package awsproto

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
)

// NewRequestID returns a random request id in the dashed form AWS uses.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Scope is the credential scope of a SigV4-signed request.
type Scope struct {
	AccessKey string
	Date      string
	Region    string
	Service   string
}

// SigV4Scope returns the credential scope of r, read from the Authorization header or
// from a presigned URL's X-Amz-Credential parameter. ok is false for unsigned requests.
func SigV4Scope(r *http.Request) (Scope, bool) {
	cred := ""
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "AWS4-HMAC-SHA256") {
		_, rest, found := strings.Cut(auth, "Credential=")
		if !found {
			return Scope{}, false
		}
		cred, _, _ = strings.Cut(rest, ",")
	} else if q := r.URL.Query().Get("X-Amz-Credential"); q != "" {
		cred = q
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 {
		return Scope{}, false
	}
	for _, p := range parts {
		// Each part is a non-empty token; a comma or a space means the value was
		// not a credential scope at all.
		if p == "" || strings.ContainsAny(p, ", \t") {
			return Scope{}, false
		}
	}
	return Scope{AccessKey: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, true
}

// Target splits the X-Amz-Target header into its service prefix and operation, for
// example "AmazonSQS.SendMessage" into "AmazonSQS" and "SendMessage".
func Target(r *http.Request) (prefix, op string) {
	t := r.Header.Get("X-Amz-Target")
	i := strings.LastIndexByte(t, '.')
	if i < 0 {
		return "", t
	}
	return t[:i], t[i+1:]
}

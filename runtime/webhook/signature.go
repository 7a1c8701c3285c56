package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of a delivery.
const (
	HeaderEvent     = "X-Dmplan-Event"
	HeaderDelivery  = "X-Dmplan-Delivery"
	HeaderTimestamp = "X-Dmplan-Timestamp"
	HeaderSignature = "X-Dmplan-Signature"
)

// UserAgent is the User-Agent of every delivery.
const UserAgent = "dmplan-webhook/1"

// signaturePrefix names the scheme of X-Dmplan-Signature.
const signaturePrefix = "sha256="

// DefaultTolerance is a sensible tolerance for Verify: deliveries older or
// newer than five minutes are refused, which bounds replays.
const DefaultTolerance = 5 * time.Minute

// Sentinel errors of Verify.
var (
	// ErrInvalidSignature: the signature header is missing, malformed or
	// does not match the body.
	ErrInvalidSignature = errors.New("webhook: invalid signature")
	// ErrStaleTimestamp: the timestamp is malformed or further from now
	// than the tolerance.
	ErrStaleTimestamp = errors.New("webhook: timestamp outside tolerance")
)

// Sign returns the X-Dmplan-Signature value of a body sent at timestamp
// (unix seconds, as sent in X-Dmplan-Timestamp): "sha256=" followed by the
// hex HMAC-SHA256, keyed with the secret, of "<timestamp>.<body>".
func Sign(secret, timestamp string, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a delivery on the receiving side: signature is the
// X-Dmplan-Signature header, timestamp the X-Dmplan-Timestamp header and
// body the raw request body, byte for byte. It returns nil when the
// signature matches and the timestamp is within tolerance of now (a
// tolerance of zero or less skips the time check). The comparison takes
// constant time. Errors wrap ErrInvalidSignature or ErrStaleTimestamp and
// never contain the secret.
func Verify(secret, timestamp, body, signature string, tolerance time.Duration) error {
	return verifyAt(time.Now(), secret, timestamp, []byte(body), signature, tolerance)
}

func verifyAt(now time.Time, secret, timestamp string, body []byte, signature string, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp is not unix seconds", ErrStaleTimestamp)
	}
	if tolerance > 0 {
		d := now.Sub(time.Unix(ts, 0))
		if d < 0 {
			d = -d
		}
		if d > tolerance {
			return fmt.Errorf("%w: signed %s away from now, tolerance %s", ErrStaleTimestamp, d.Truncate(time.Second), tolerance)
		}
	}
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(signature), signaturePrefix)
	if !ok {
		return fmt.Errorf("%w: want a %q prefix", ErrInvalidSignature, signaturePrefix)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("%w: not hex", ErrInvalidSignature)
	}
	if !hmac.Equal(got, mac(secret, timestamp, body)) {
		return ErrInvalidSignature
	}
	return nil
}

// maxVerifyBody bounds the body VerifyRequest reads.
const maxVerifyBody = 10 << 20

// VerifyRequest reads the body of a delivery (up to 10 MiB) and verifies
// its signature headers with Verify. It returns the body, which the caller
// should decode only when the error is nil.
func VerifyRequest(r *http.Request, secret string, tolerance time.Duration) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxVerifyBody+1))
	if err != nil {
		return nil, fmt.Errorf("read webhook body: %w", err)
	}
	if len(body) > maxVerifyBody {
		return nil, fmt.Errorf("read webhook body: over %d bytes", maxVerifyBody)
	}
	err = verifyAt(time.Now(), secret, r.Header.Get(HeaderTimestamp), body, r.Header.Get(HeaderSignature), tolerance)
	return body, err
}

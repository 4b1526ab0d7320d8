package objstore

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"strings"
	"sync"

	"github.com/dragons-dev/dragons/local/crc64nvme"
)

// Checksum algorithm names as S3 spells them.
const (
	AlgCRC32     = "CRC32"
	AlgCRC32C    = "CRC32C"
	AlgCRC64NVME = "CRC64NVME"
	AlgSHA1      = "SHA1"
	AlgSHA256    = "SHA256"
	AlgSHA512    = "SHA512"
	AlgMD5       = "MD5"
)

// DefaultChecksum is the algorithm S3 computes for objects uploaded without one.
const DefaultChecksum = AlgCRC64NVME

// checksumAlgs lists the supported algorithms in the order headers are checked.
var checksumAlgs = []string{AlgCRC32, AlgCRC32C, AlgCRC64NVME, AlgSHA1, AlgSHA256, AlgSHA512, AlgMD5}

var (
	castagnoli = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })
)

// normalizeAlg returns the canonical name of a checksum algorithm, or "" when
// it is not supported.
func normalizeAlg(name string) string {
	for _, a := range checksumAlgs {
		if strings.EqualFold(a, name) {
			return a
		}
	}
	return ""
}

// checksumHeader is the request and response header carrying alg's value.
func checksumHeader(alg string) string {
	return "x-amz-checksum-" + strings.ToLower(alg)
}

func newChecksumHash(alg string) hash.Hash {
	switch alg {
	case AlgCRC32:
		return crc32.NewIEEE()
	case AlgCRC32C:
		return crc32.New(castagnoli())
	case AlgCRC64NVME:
		return crc64nvme.New()
	case AlgSHA1:
		return sha1.New()
	case AlgSHA256:
		return sha256.New()
	case AlgSHA512:
		return sha512.New()
	case AlgMD5:
		return md5.New()
	}
	return nil
}

// bodyHasher computes the MD5 (for the ETag) and one flexible checksum of a body
// as it is written.
type bodyHasher struct {
	md5  hash.Hash
	alg  string
	sum  hash.Hash
	size int64
}

func newBodyHasher(alg string) *bodyHasher {
	h := &bodyHasher{md5: md5.New(), alg: alg}
	if alg == AlgMD5 {
		return h
	}
	h.sum = newChecksumHash(alg)
	return h
}

func (h *bodyHasher) Write(p []byte) (int, error) {
	h.md5.Write(p)
	if h.sum != nil {
		h.sum.Write(p)
	}
	h.size += int64(len(p))
	return len(p), nil
}

// etag returns the body's MD5 in hex.
func (h *bodyHasher) etag() string {
	var b [md5.Size]byte
	return hex.EncodeToString(h.md5.Sum(b[:0]))
}

// md5Base64 returns the body's MD5 as Content-MD5 encodes it.
func (h *bodyHasher) md5Base64() string {
	var b [md5.Size]byte
	return base64.StdEncoding.EncodeToString(h.md5.Sum(b[:0]))
}

// checksum returns the flexible checksum in base64.
func (h *bodyHasher) checksum() string {
	if h.alg == AlgMD5 {
		return h.md5Base64()
	}
	return base64.StdEncoding.EncodeToString(h.sum.Sum(nil))
}

package queue

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strings"
)

// Attribute is a message attribute value. DataType starts with "String", "Number"
// or "Binary" (optionally followed by ".custom-label"); String and Number values are
// in StringValue, Binary values in BinaryValue.
type Attribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

func (a Attribute) isBinary() bool { return strings.HasPrefix(a.DataType, "Binary") }

// size is what the attribute counts toward the message size limit.
func (a Attribute) size(name string) int {
	n := len(name) + len(a.DataType)
	if a.isBinary() {
		return n + len(a.BinaryValue)
	}
	return n + len(a.StringValue)
}

// md5Hex returns the hex MD5 of s.
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// attributesMD5 returns the MD5 digest SQS reports for a set of message (or message
// system) attributes: over the attributes sorted by name, each encoded as its
// length-prefixed name, its length-prefixed data type, a transport byte (1 for
// string values, 2 for binary) and the length-prefixed value, lengths as 4-byte
// big-endian integers. It returns "" for an empty set.
func attributesMD5(attrs map[string]Attribute) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	h := md5.New()
	var buf []byte
	for _, n := range names {
		a := attrs[n]
		buf = appendLenPrefixed(buf[:0], n)
		buf = appendLenPrefixed(buf, a.DataType)
		if a.isBinary() {
			buf = append(buf, 2)
			buf = appendLenPrefixed(buf, string(a.BinaryValue))
		} else {
			buf = append(buf, 1)
			buf = appendLenPrefixed(buf, a.StringValue)
		}
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func appendLenPrefixed(buf []byte, s string) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
	return append(buf, s...)
}

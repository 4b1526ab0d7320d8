// Package crc64nvme computes CRC-64/NVME, the checksum S3 stores by default
// for every object, eight bytes at a time. The standard library's hash/crc64
// handles this polynomial one byte at a time, which made the checksum the
// largest single cost of a small S3 PUT.
package crc64nvme

import (
	"encoding/binary"
	"hash"
	"hash/crc64"
	"sync"
)

// Poly is the NVMe polynomial in reversed form.
const Poly = 0x9a6c9329ac4bc9b5

// Size is the checksum's length in bytes.
const Size = 8

// tables are the eight slicing tables, built once on first use.
var tables = sync.OnceValue(func() *[8]crc64.Table {
	var t [8]crc64.Table
	t[0] = *crc64.MakeTable(Poly)
	for i := range 256 {
		crc := t[0][i]
		for j := 1; j < 8; j++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[j][i] = crc
		}
	}
	return &t
})

// Update returns the checksum of the bytes whose checksum is crc followed
// by p.
func Update(crc uint64, p []byte) uint64 {
	t := tables()
	crc = ^crc
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][crc&0xff] ^ t[6][crc>>8&0xff] ^ t[5][crc>>16&0xff] ^ t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^ t[2][crc>>40&0xff] ^ t[1][crc>>48&0xff] ^ t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return ^crc
}

// Checksum returns the CRC-64/NVME of p.
func Checksum(p []byte) uint64 { return Update(0, p) }

// New returns a hash.Hash64 computing CRC-64/NVME; Sum appends the value
// big-endian, as S3's x-amz-checksum-crc64nvme carries it.
func New() hash.Hash64 { return new(digest) }

type digest struct{ crc uint64 }

func (d *digest) Write(p []byte) (int, error) { d.crc = Update(d.crc, p); return len(p), nil }
func (d *digest) Sum(b []byte) []byte         { return binary.BigEndian.AppendUint64(b, d.crc) }
func (d *digest) Sum64() uint64               { return d.crc }
func (d *digest) Reset()                      { d.crc = 0 }
func (d *digest) Size() int                   { return Size }
func (d *digest) BlockSize() int              { return 1 }

package crc64nvme

import (
	"bytes"
	"hash/crc64"
	"math/rand/v2"
	"testing"
)

// TestCheckValue uses the catalogue's check value for CRC-64/NVME.
func TestCheckValue(t *testing.T) {
	if got := Checksum([]byte("123456789")); got != 0xae8b14860a799888 {
		t.Fatalf("CRC-64/NVME(123456789) = %#x, want 0xae8b14860a799888", got)
	}
}

// TestAgreesWithTheStandardLibrary compares every length up to 300 bytes and
// random splits of the input across Writes with hash/crc64's byte-at-a-time
// result for the same polynomial.
func TestAgreesWithTheStandardLibrary(t *testing.T) {
	ref := crc64.MakeTable(Poly)
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 300)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for n := range len(data) + 1 {
		p := data[:n]
		want := crc64.Checksum(p, ref)
		if got := Checksum(p); got != want {
			t.Fatalf("%d bytes: %#x, want %#x", n, got, want)
		}
		h := New()
		for rest := p; len(rest) > 0; {
			k := 1 + rng.IntN(len(rest))
			h.Write(rest[:k])
			rest = rest[k:]
		}
		if h.Sum64() != want {
			t.Fatalf("%d bytes in pieces: %#x, want %#x", n, h.Sum64(), want)
		}
		if sum := h.Sum(nil); !bytes.Equal(sum, []byte{byte(want >> 56), byte(want >> 48), byte(want >> 40), byte(want >> 32), byte(want >> 24), byte(want >> 16), byte(want >> 8), byte(want)}) {
			t.Fatalf("Sum = %x, want %016x big-endian", sum, want)
		}
	}
}

func FuzzAgreesWithTheStandardLibrary(f *testing.F) {
	ref := crc64.MakeTable(Poly)
	f.Add([]byte("123456789"), uint64(0))
	f.Add(bytes.Repeat([]byte{0xff}, 17), uint64(42))
	f.Fuzz(func(t *testing.T, p []byte, crc uint64) {
		if got, want := Update(crc, p), crc64.Update(crc, ref, p); got != want {
			t.Fatalf("Update(%#x, %x) = %#x, want %#x", crc, p, got, want)
		}
	})
}

func BenchmarkChecksum1KiB(b *testing.B) {
	p := make([]byte, 1024)
	ref := crc64.MakeTable(Poly)
	b.Run("slicing8", func(b *testing.B) {
		b.SetBytes(int64(len(p)))
		for b.Loop() {
			Checksum(p)
		}
	})
	b.Run("hash/crc64", func(b *testing.B) {
		b.SetBytes(int64(len(p)))
		for b.Loop() {
			crc64.Checksum(p, ref)
		}
	})
}

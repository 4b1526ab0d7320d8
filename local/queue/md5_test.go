package queue

import "testing"

// Known answers computed by an independent implementation of SQS's message
// attribute digest.
func TestAttributesMD5KnownAnswers(t *testing.T) {
	cases := []struct {
		attrs map[string]Attribute
		want  string
	}{
		{map[string]Attribute{"a": {DataType: "String", StringValue: "x"}}, "a512aac9938034acb0b3c3d965944bf1"},
		{map[string]Attribute{
			"n": {DataType: "Number", StringValue: "12.5"},
			"s": {DataType: "String.custom", StringValue: "héllo"},
			"b": {DataType: "Binary", BinaryValue: []byte{0, 1, 0xff}},
		}, "1cdbe146df65356f6176bd216192dc1d"},
		{nil, ""},
	}
	for _, c := range cases {
		if got := attributesMD5(c.attrs); got != c.want {
			t.Errorf("attributesMD5(%v) = %q, want %q", c.attrs, got, c.want)
		}
	}
	if got := md5Hex("body"); got != "841a2d689ad86bd1611447453c22c6fc" {
		t.Errorf("md5Hex(body) = %s", got)
	}
}

// FuzzAttributesMD5 checks that the digest does not depend on map order, changes
// when a value changes and never panics.
func FuzzAttributesMD5(f *testing.F) {
	f.Add("a", "String", "x", []byte(nil), "b", "Binary", []byte{1})
	f.Add("n", "Number.int", "12", []byte{}, "z", "Binary.png", []byte{0, 0})
	f.Fuzz(func(t *testing.T, n1, t1, v1 string, b1 []byte, n2, t2 string, b2 []byte) {
		if n1 == n2 {
			return
		}
		a := map[string]Attribute{n1: {DataType: t1, StringValue: v1, BinaryValue: b1}, n2: {DataType: t2, BinaryValue: b2}}
		d1 := attributesMD5(a)
		b := map[string]Attribute{n2: a[n2], n1: a[n1]}
		if d2 := attributesMD5(b); d1 != d2 {
			t.Fatalf("digest depends on insertion order: %s vs %s", d1, d2)
		}
		c := map[string]Attribute{n1: a[n1], n2: {DataType: t2, BinaryValue: append(append([]byte(nil), b2...), 7)}}
		if !a[n2].isBinary() {
			return
		}
		if attributesMD5(c) == d1 {
			t.Fatalf("digest unchanged after a value changed")
		}
	})
}

func TestValidNumber(t *testing.T) {
	for v, want := range map[string]bool{
		"0": true, "-12": true, "+3.5": true, "1e10": true, "2.5E-3": true, ".5": true, "5.": true,
		"": false, "-": false, "NaN": false, "Inf": false, "0x10": false, "1e": false, "1 ": false, "abc": false,
		"1234567890123456789012345678901234567890": false,
	} {
		if got := validNumber(v); got != want {
			t.Errorf("validNumber(%q) = %v, want %v", v, got, want)
		}
	}
}

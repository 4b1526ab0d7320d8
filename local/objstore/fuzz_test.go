package objstore

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dragons-dev/dragons/local/awsproto"
)

// encodeChunked frames payload as aws-chunked with chunks of at most size
// bytes, optional chunk signatures and the given trailers.
func encodeChunked(payload []byte, size int, signed bool, trailers map[string]string) []byte {
	var b bytes.Buffer
	ext := func() string {
		if signed {
			return ";chunk-signature=" + strings.Repeat("0", 64)
		}
		return ""
	}
	for len(payload) > 0 {
		n := min(size, len(payload))
		fmt.Fprintf(&b, "%x%s\r\n", n, ext())
		b.Write(payload[:n])
		b.WriteString("\r\n")
		payload = payload[n:]
	}
	fmt.Fprintf(&b, "0%s\r\n", ext())
	for k, v := range trailers {
		fmt.Fprintf(&b, "%s:%s\r\n", k, v)
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func TestChunkedReaderExamples(t *testing.T) {
	cases := []struct {
		name, in, want string
		trailers       map[string]string
		bad            bool
	}{
		{name: "sdk unsigned with trailer", in: "b\r\nHello world\r\n0\r\nx-amz-checksum-sha256:ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=\r\n\r\n",
			want: "Hello world", trailers: map[string]string{"x-amz-checksum-sha256": "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw="}},
		{name: "signed chunks", in: "5;chunk-signature=abc\r\nhello\r\n6;chunk-signature=def\r\n world\r\n0;chunk-signature=123\r\n\r\n", want: "hello world"},
		{name: "signed trailer", in: "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\nx-amz-trailer-signature:00ff\r\n\r\n", want: "abc",
			trailers: map[string]string{"x-amz-checksum-crc32": "NSRBwg==", "x-amz-trailer-signature": "00ff"}},
		{name: "no final CRLF", in: "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n", want: "abc", trailers: map[string]string{"x-amz-checksum-crc32": "NSRBwg=="}},
		{name: "empty", in: "0\r\n\r\n", want: ""},
		{name: "uppercase hex", in: "A\r\n0123456789\r\n0\r\n\r\n", want: "0123456789"},
		{name: "truncated chunk", in: "a\r\nabc", bad: true},
		{name: "missing final chunk", in: "3\r\nabc\r\n", bad: true},
		{name: "chunk longer than its size", in: "2\r\nabc\r\n0\r\n\r\n", bad: true},
		{name: "bad size", in: "zz\r\nabc\r\n0\r\n\r\n", bad: true},
		{name: "negative size", in: "-1\r\nabc\r\n0\r\n\r\n", bad: true},
		{name: "bad trailer", in: "0\r\nno colon here\r\n\r\n", bad: true},
	}
	for _, tc := range cases {
		cr := newChunkedReader(strings.NewReader(tc.in))
		got, err := io.ReadAll(cr)
		if tc.bad {
			if err == nil {
				t.Errorf("%s: decoded %q, want an error", tc.name, got)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
			continue
		}
		if fmt.Sprint(cr.Trailers) != fmt.Sprint(tc.trailers) && !(len(cr.Trailers) == 0 && len(tc.trailers) == 0) {
			t.Errorf("%s: trailers %v, want %v", tc.name, cr.Trailers, tc.trailers)
		}
	}
}

func FuzzChunkedRoundTrip(f *testing.F) {
	f.Add([]byte("Hello world"), uint16(4), false, "NSRBwg==")
	f.Add([]byte(""), uint16(1), true, "")
	f.Add(bytes.Repeat([]byte{0, '\r', '\n', 0xff}, 5000), uint16(8192), true, "x")
	f.Fuzz(func(t *testing.T, payload []byte, size uint16, signed bool, trailer string) {
		if size == 0 {
			size = 1
		}
		trailer = strings.TrimSpace(trailer)
		if strings.ContainsAny(trailer, "\r\n") {
			return
		}
		trailers := map[string]string{}
		if trailer != "" {
			trailers["x-amz-checksum-crc32"] = trailer
		}
		cr := newChunkedReader(bytes.NewReader(encodeChunked(payload, int(size), signed, trailers)))
		got, err := io.ReadAll(cr)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if !bytes.Equal(got, payload) {
			t.Fatalf("payload changed: %d bytes in, %d out", len(payload), len(got))
		}
		if trailer != "" && cr.Trailers["x-amz-checksum-crc32"] != trailer {
			t.Fatalf("trailer = %q, want %q", cr.Trailers["x-amz-checksum-crc32"], trailer)
		}
	})
}

func FuzzChunkedDecode(f *testing.F) {
	f.Add([]byte("b\r\nHello world\r\n0\r\nx-amz-checksum-crc32:abc\r\n\r\n"))
	f.Add([]byte("5;chunk-signature=1\r\nhello\r\n0;chunk-signature=2\r\n\r\n"))
	f.Add([]byte("ffffffffffffff\r\n"))
	f.Add([]byte("3\r\nab"))
	f.Fuzz(func(t *testing.T, in []byte) {
		cr := newChunkedReader(bytes.NewReader(in))
		got, err := io.ReadAll(io.LimitReader(cr, 1<<20))
		if err != nil {
			return
		}
		if len(got) > len(in) {
			t.Fatalf("decoded %d bytes from %d", len(got), len(in))
		}
		// Whatever decodes must decode the same after re-framing.
		again, err := io.ReadAll(newChunkedReader(bytes.NewReader(encodeChunked(got, 7, false, nil))))
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("re-framed payload differs: %v", err)
		}
	})
}

func TestParseRange(t *testing.T) {
	type r = byteRange
	cases := []struct {
		h    string
		size int64
		want byteRange
	}{
		{"bytes=0-0", 10, r{Partial: true, Start: 0, End: 0}},
		{"bytes=2-5", 10, r{Partial: true, Start: 2, End: 5}},
		{"bytes=2-", 10, r{Partial: true, Start: 2, End: 9}},
		{"bytes=-3", 10, r{Partial: true, Start: 7, End: 9}},
		{"bytes=-30", 10, r{Partial: true, Start: 0, End: 9}},
		{"bytes=5-100", 10, r{Partial: true, Start: 5, End: 9}},
		{" bytes= 1 - 2 ", 10, r{Partial: true, Start: 1, End: 2}},
		{"bytes=10-", 10, r{Unsatisfiable: true}},
		{"bytes=10-20", 10, r{Unsatisfiable: true}},
		{"bytes=-0", 10, r{Unsatisfiable: true}},
		{"bytes=0-", 0, r{Unsatisfiable: true}},
		{"bytes=5-2", 10, r{Start: 0, End: 9}},
		{"bytes=1-2,4-5", 10, r{Start: 0, End: 9}},
		{"items=1-2", 10, r{Start: 0, End: 9}},
		{"bytes=a-b", 10, r{Start: 0, End: 9}},
		{"bytes=+1-2", 10, r{Start: 0, End: 9}},
		{"bytes=", 10, r{Start: 0, End: 9}},
	}
	for _, tc := range cases {
		if got := parseRange(tc.h, tc.size); got != tc.want {
			t.Errorf("parseRange(%q, %d) = %+v, want %+v", tc.h, tc.size, got, tc.want)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-1", "bytes=-5", "bytes=3-", "bytes=9999999999999999999-", "bytes=1-2,3-4", "bytes=--1"} {
		f.Add(s, int64(10))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			return
		}
		got := parseRange(h, size)
		switch {
		case got.Unsatisfiable:
			if got.Partial {
				t.Fatalf("%q: unsatisfiable and partial", h)
			}
		case got.Partial:
			if got.Start < 0 || got.Start > got.End || got.End >= size {
				t.Fatalf("%q size %d: range %d-%d out of bounds", h, size, got.Start, got.End)
			}
		default:
			if got.Start != 0 || got.End != size-1 {
				t.Fatalf("%q: full response with range %d-%d", h, got.Start, got.End)
			}
		}
	})
}

func TestParseDeleteRequest(t *testing.T) {
	items, quiet, err := parseDeleteRequest([]byte(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>
		<Object><Key>a &amp; b</Key></Object><Object><Key>c</Key><VersionId>v1</VersionId></Object><Object><Key></Key></Object></Delete>`))
	if err != nil || !quiet || len(items) != 3 || items[0].Key != "a & b" || items[1].VersionID != "v1" || items[2].Key != "" {
		t.Fatalf("parsed %+v quiet=%v err=%v", items, quiet, err)
	}
	for _, bad := range []string{``, `<Delete></Delete>`, `<Delete><Object><VersionId>x</VersionId></Object></Delete>`, `<Delete><Object><Key>a</Key>`, `<Other/>`,
		`<Delete>` + strings.Repeat(`<Object><Key>k</Key></Object>`, MaxDeleteObjects+1) + `</Delete>`} {
		if _, _, err := parseDeleteRequest([]byte(bad)); err == nil {
			t.Errorf("accepted %.60q", bad)
		}
	}
}

func FuzzParseDeleteRequest(f *testing.F) {
	f.Add([]byte(`<Delete><Object><Key>a</Key></Object></Delete>`))
	f.Add([]byte(`<Delete><Quiet>true</Quiet><Object><Key>a</Key><VersionId>1</VersionId></Object><Object><Key>b</Key></Object></Delete>`))
	f.Add([]byte(`<Delete><Object><Key><![CDATA[x<y]]></Key></Object></Delete>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		items, _, err := parseDeleteRequest(body)
		if err != nil {
			return
		}
		if len(items) == 0 || len(items) > MaxDeleteObjects {
			t.Fatalf("accepted %d objects", len(items))
		}
	})
}

// FuzzSplitRequest checks that the bucket and key of a request always add up to
// its path: the path is "/bucket/key" (path style) or "/key" with the bucket in
// the Host (virtual-hosted style), and a path-style bucket holds no slash.
func FuzzSplitRequest(f *testing.F) {
	for _, c := range [][2]string{
		{"127.0.0.1:4566", "/bkt/a/b.json"}, {"localhost:4566", "/bkt"}, {"bkt.s3.localhost:4566", "/a/b"},
		{"bkt.s3.us-east-1.amazonaws.com", "/"}, {"my.bucket.s3-us-west-2.amazonaws.com", "/k"}, {"bkt.localhost", "//double"},
		{"[::1]:4566", "/b/k"}, {"s3.localhost", "/"}, {"", ""}, {"x.s3-website.eu-west-1.amazonaws.com.", "/k"},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, host, path string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host, r.URL.Path = host, path
		bucket, key := splitRequest(r)
		rest := strings.TrimPrefix(path, "/")
		if hb := hostBucket(host); hb != "" {
			if bucket != hb || key != rest {
				t.Fatalf("virtual-hosted %q %q split into %q %q", host, path, bucket, key)
			}
			return
		}
		if strings.Contains(bucket, "/") {
			t.Fatalf("path-style bucket %q contains a slash", bucket)
		}
		if rest != bucket && rest != bucket+"/"+key || key != "" && rest == bucket {
			t.Fatalf("%q %q split into %q %q", host, path, bucket, key)
		}
	})
}

// FuzzParseCopySource checks that a copy source that parses names a bucket and
// a key, and that the same bucket, key and version read back from a freshly
// encoded header.
func FuzzParseCopySource(f *testing.F) {
	for _, s := range []string{
		"/bkt/key", "bkt/a/b%20c.json", "/bkt/k?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", "/bkt/k%3Fq?versionId=v",
		"/bkt", "/", "", "%zz/k", "/bkt/k?%zz", "/b/k?versionId=a&versionId=b", "b/%2F/k",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		bucket, key, version, err := parseCopySource(v)
		if err != nil {
			if !awsproto.IsCode(err, CodeInvalidArgument) {
				t.Fatalf("parseCopySource(%q) error %v, want InvalidArgument", v, err)
			}
			return
		}
		if bucket == "" || key == "" || strings.Contains(bucket, "/") {
			t.Fatalf("parseCopySource(%q) = %q %q", v, bucket, key)
		}
		enc := "/" + url.PathEscape(bucket) + "/" + url.PathEscape(key)
		if version != "" {
			enc += "?versionId=" + url.QueryEscape(version)
		}
		b2, k2, v2, err := parseCopySource(enc)
		if err != nil || b2 != bucket || k2 != key || v2 != version {
			t.Fatalf("%q parsed as %q %q %q; re-encoded %q reads %q %q %q (%v)", v, bucket, key, version, enc, b2, k2, v2, err)
		}
	})
}

// FuzzParseCompleteRequest checks the CompleteMultipartUpload body parser:
// it never panics, rejects only with MalformedXML, and parts it accepts read
// back the same from a freshly encoded body.
func FuzzParseCompleteRequest(f *testing.F) {
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>"b"</ETag><ChecksumCRC32>NSRBwg==</ChecksumCRC32></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>x</ETag><PartNumber>10000</PartNumber></Part></CompleteMultipartUpload>`))
	f.Add([]byte(``))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>one</PartNumber></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<Other/>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		parts, err := parseCompleteRequest(body)
		if err != nil {
			if !awsproto.IsCode(err, CodeMalformedXML) {
				t.Fatalf("error %v, want MalformedXML", err)
			}
			return
		}
		var req completeRequestXML
		for _, p := range parts {
			if !xmlSafe(p.ETag) || !xmlSafe(p.Checksum) {
				return // the encoder would replace characters XML cannot carry
			}
			req.Parts = append(req.Parts, completedPartXML{PartNumber: p.PartNumber, ETag: p.ETag, ChecksumCRC32: p.Checksum})
		}
		enc, err := xml.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseCompleteRequest(enc)
		if err != nil || len(again) != len(parts) {
			t.Fatalf("re-encoded %s: %v %v", enc, again, err)
		}
		for i := range parts {
			if again[i] != parts[i] {
				t.Fatalf("part %d = %+v, reads back as %+v", i, parts[i], again[i])
			}
		}
	})
}

// xmlSafe reports whether s is valid UTF-8 made of characters XML can carry.
func xmlSafe(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		ok := r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
		if !ok {
			return false
		}
	}
	return true
}

package eventpattern

import "testing"

var benchEvent = []byte(`{"version":"0","id":"7bf73129-1428-4cd3-a780-95db273d1602","detail-type":"DragonAdded","source":"dragons.app","account":"000000000000","time":"2026-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{"eventId":"e1","version":1,"dragon":{"name":"Smaug","family":"red","age":171,"tags":["gold","cave","fire"]}}}`)

var benchPatterns = map[string]string{
	"exact":    `{"source":["dragons.app"],"detail-type":["DragonAdded"]}`,
	"numeric":  `{"detail":{"dragon":{"age":[{"numeric":[">",100,"<=",500]}]}}}`,
	"wildcard": `{"detail":{"dragon":{"name":[{"wildcard":"S*g"}]}}}`,
	"mixed":    `{"source":[{"prefix":"dragons."}],"detail":{"dragon":{"tags":[{"anything-but":["ice"]}],"family":[{"equals-ignore-case":"RED"}]},"missing":[{"exists":false}]}}`,
}

func BenchmarkMatchValue(b *testing.B) {
	ev, err := Decode(benchEvent)
	if err != nil {
		b.Fatal(err)
	}
	for name, src := range benchPatterns {
		p := MustCompile(src)
		if !p.MatchValue(ev) {
			b.Fatalf("%s does not match the benchmark event", name)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				p.MatchValue(ev)
			}
		})
	}
}

// BenchmarkMatchBytes includes decoding the event.
func BenchmarkMatchBytes(b *testing.B) {
	p := MustCompile(benchPatterns["mixed"])
	for b.Loop() {
		p.Match(benchEvent)
	}
}

func BenchmarkCompile(b *testing.B) {
	src := []byte(benchPatterns["mixed"])
	for b.Loop() {
		if _, err := Compile(src); err != nil {
			b.Fatal(err)
		}
	}
}

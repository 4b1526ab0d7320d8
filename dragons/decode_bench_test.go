package dragons

import (
	"encoding/json"
	"fmt"
	"testing"
)

func catalogOf(n int) []byte {
	recs := make([]StoredRecord, n)
	for i := range recs {
		recs[i] = StoredRecord{Record: Record{DragonName: fmt.Sprintf("Dragon-%05d", i), Family: "red",
			Description: "A long enough description of a dragon that lives somewhere.", City: "reno", State: "nevada",
			Country: "usa", Neighborhood: "midtown"}, ExecutionID: fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)}
	}
	b, _ := json.Marshal(recs)
	return b
}

func BenchmarkDecodeCatalog1000(b *testing.B) {
	data := catalogOf(1000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodeCatalog(data); err != nil {
			b.Fatal(err)
		}
	}
}

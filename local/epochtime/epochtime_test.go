package epochtime

import (
	"encoding/json"
	"testing"
	"time"
)

func TestMarshalKeepsMilliseconds(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	b, err := json.Marshal(Time(at))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "1714979289.123" {
		t.Fatalf("Marshal = %s, want 1714979289.123", b)
	}
	var back Time
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if want := at.Truncate(time.Millisecond); !back.Time().Equal(want) {
		t.Fatalf("round trip = %v, want %v", back.Time(), want)
	}
}

func TestMarshalWholeSeconds(t *testing.T) {
	b, err := json.Marshal(Time(time.Unix(1700000000, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "1700000000" {
		t.Fatalf("Marshal = %s, want 1700000000", b)
	}
}

func TestUnmarshalRejectsNonNumbers(t *testing.T) {
	var got Time
	if err := json.Unmarshal([]byte(`"2024-05-06"`), &got); err == nil {
		t.Fatalf("Unmarshal of a string = %v, want an error", got.Time())
	}
}

package identity

import (
	"math"
	"strconv"
	"time"
)

// EpochTime is a timestamp that the JSON 1.1 protocol carries as seconds since
// the Unix epoch (a JSON number with millisecond precision).
type EpochTime time.Time

// MarshalJSON implements json.Marshaler.
func (t EpochTime) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *EpochTime) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	sec, frac := math.Modf(f)
	*t = EpochTime(time.Unix(int64(sec), int64(math.Round(frac*1000))*int64(time.Millisecond)))
	return nil
}

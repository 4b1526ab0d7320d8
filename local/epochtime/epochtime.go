// Package epochtime is the timestamp shape of the AWS JSON 1.0 and 1.1
// protocols: seconds since the Unix epoch, carried as a JSON number with
// millisecond precision. Services that speak those protocols use Time for the
// date fields of their responses.
package epochtime

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Time is a timestamp that marshals to and from a JSON number of seconds since
// the Unix epoch, keeping milliseconds.
type Time time.Time

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("epoch seconds %s: %w", b, err)
	}
	sec, frac := math.Modf(f)
	*t = Time(time.Unix(int64(sec), int64(math.Round(frac*1000))*int64(time.Millisecond)))
	return nil
}

// Time returns t as a time.Time.
func (t Time) Time() time.Time { return time.Time(t) }

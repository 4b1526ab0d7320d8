package moto

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestStartServesAndCloseStops(t *testing.T) {
	s, err := Start(context.Background(), 2*time.Minute)
	if errors.Is(err, ErrNotInstalled) {
		t.Skip("moto_server is not installed; the benchmarks need it as their baseline")
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %q, want a loopback address", s.URL)
	}
	resp, err := http.Get(s.URL + "/moto-api/")
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /moto-api/ = %d", resp.StatusCode)
	}
	s.Close()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(s.URL, "http://"), time.Second)
	if err == nil {
		conn.Close()
		t.Fatal("moto_server still accepts connections after Close")
	}
}

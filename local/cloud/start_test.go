package cloud

import (
	"context"
	"net"
	"strings"
	"testing"
)

func TestStartReportsABusyEdgeAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := Start(context.Background(), Config{Ephemeral: true, EdgeAddr: ln.Addr().String(), APIAddr: "127.0.0.1:0"})
	if err == nil {
		_ = c.Close(context.Background())
		t.Fatal("Start succeeded on an address already in use")
	}
	if c != nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Fatalf("Start = %v, %v; want no cloud and an error naming the address", c, err)
	}
}

func TestStartFailsCleanlyOnAMissingTemplate(t *testing.T) {
	c, err := Start(context.Background(), Config{Ephemeral: true, EdgeAddr: "127.0.0.1:0", APIAddr: "127.0.0.1:0", Template: t.TempDir() + "/missing.yaml"})
	if err == nil || c != nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("Start = %v, %v; want an error naming the template", c, err)
	}
}

package appenv

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-xray-sdk-go/v2/xraylog"
)

// xrayLogger adapts slog to the X-Ray SDK's logger interface. The SDK's
// informational chatter goes to debug.
type xrayLogger struct {
	log *slog.Logger
}

func (l xrayLogger) Log(level xraylog.LogLevel, msg fmt.Stringer) {
	lvl := slog.LevelDebug
	switch level {
	case xraylog.LogLevelWarn:
		lvl = slog.LevelWarn
	case xraylog.LogLevelError:
		lvl = slog.LevelError
	}
	if !l.log.Enabled(context.Background(), lvl) {
		return
	}
	l.log.Log(context.Background(), lvl, msg.String())
}

// quietMissing is the X-Ray context-missing strategy: note it at debug
// level and carry on.
type quietMissing struct {
	log *slog.Logger
}

func (q quietMissing) ContextMissing(v interface{}) {
	q.log.Debug("no X-Ray segment in context", "detail", fmt.Sprint(v))
}

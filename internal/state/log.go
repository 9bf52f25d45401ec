package state

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

var setLogger sync.Once

// SetRedisLogger sends go-redis's own messages (reconnect attempts, pool
// trouble) to log at WARN instead of its default plain lines on stderr. It
// is process-wide in go-redis, so only the first call counts. go-redis
// never prints the password.
func SetRedisLogger(log *slog.Logger) {
	setLogger.Do(func() { redis.SetLogger(redisLogger{log}) })
}

type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.Warn("redis client", "message", strings.TrimSpace(fmt.Sprintf(format, v...)))
}

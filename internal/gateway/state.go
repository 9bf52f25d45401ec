package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/computegw/computegw/internal/config"
	"github.com/computegw/computegw/internal/state"
	"github.com/computegw/computegw/server"
)

// shared holds the state.redis store (nil without one) from the moment the
// config is read, so that each cloud's adapter gets its login gate.
type shared struct{ store state.Store }

func (f *shared) open(file *config.File, log *slog.Logger) error {
	st, err := openState(file, log)
	if err != nil {
		return err
	}
	if st != nil { // a nil *Redis must not become a non-nil Store
		f.store = st
	}
	return nil
}

// gate is the cloud's fleet-wide login gate, nil without state.redis.
func (f *shared) gate(cloud string) state.LoginGate {
	if f.store == nil {
		return nil
	}
	return f.store.Logins(cloud)
}

func (f *shared) close() {
	if f.store != nil {
		f.store.Close()
	}
}

// openState makes the state store replicas share: Redis when the
// config has state.redis, else none (nil: the server keeps its state in
// process). It never logs the Redis password.
func openState(file *config.File, log *slog.Logger) (*state.Redis, error) {
	if file == nil || file.State == nil || file.State.Redis == nil {
		return nil, nil
	}
	r := file.State.Redis
	if len(file.PageTokenKey) == 0 {
		log.Warn("config: state.redis is set (several replicas) but no page_token_key_env or page_token_key_file: " +
			"each replica signs page tokens with its own random key, so a next_page_token from one replica fails on another; " +
			"give every replica the same key")
	}
	state.SetRedisLogger(log)
	st, err := state.NewRedis(state.RedisOptions{Address: r.Address, Username: r.Username, Password: r.Password,
		TLS: r.TLS, KeyPrefix: r.KeyPrefix, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("state.redis: %w", err)
	}
	log.Info("state shared in redis", "address", r.Address, "key_prefix", r.KeyPrefix, "tls", r.TLS, "username", r.Username)
	return st, nil
}

// writeReady is the body of a 200 /readyz (both listeners): "ok", then a
// line on the state store. A Redis that cannot be reached is reported but
// keeps the replica ready: reads and actions still work, and taking every
// replica out of its load balancer at once would stop them too.
func writeReady(w http.ResponseWriter, r *http.Request, srv *server.Server) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	kind, err := srv.CheckState(ctx)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err != nil {
		_, _ = fmt.Fprintf(w, "ok\nstate: %s unavailable: CreateInstance with request_id answers UNAVAILABLE STATE_UNAVAILABLE until it is back\n", kind)
		return
	}
	_, _ = io.WriteString(w, "ok\nstate: "+kind+" ok\n")
}

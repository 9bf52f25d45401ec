package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Limits is the top-level `limits` section: a bound on every resource a
// caller can hold (README "Limits"). Every field has a default, so a config
// without the section is bounded too (DefaultLimits).
type Limits struct {
	// MaxRequestBytes caps one REST request body and one gRPC message
	// (max_request_bytes). The largest real body, a create with 64 KiB of
	// user data and the most metadata, is 153,521 bytes.
	MaxRequestBytes int64
	// MaxInflightRequestBytes caps the REST request bodies being handled
	// at once (max_inflight_request_bytes); a body that does not fit is
	// refused with 429 GATEWAY_BUSY.
	MaxInflightRequestBytes int64
	// MaxInflightCalls caps the unary calls (REST and gRPC) being handled at
	// once (max_inflight_calls); watches have their own cap.
	MaxInflightCalls int
	// MaxHeaderBytes caps the request headers: HTTP MaxHeaderBytes and
	// gRPC MaxHeaderListSize (max_header_bytes).
	MaxHeaderBytes int
	// REST listener timeouts: read_header_timeout, read_timeout (the
	// whole request, body included), write_timeout (the answer; the watch
	// route is exempt; default: 30s over the slowest cloud's timeout, at
	// least 90s) and idle_timeout (a keep-alive connection).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// gRPC listener: grpc_max_concurrent_streams per connection; keepalive
	// enforcement (grpc_keepalive_min_time: a client pinging more often is
	// disconnected), server pings (grpc_keepalive_time, _timeout), and
	// connection lifetimes (grpc_max_connection_idle, _age, _age_grace).
	GRPCMaxConcurrentStreams                                               uint32
	GRPCKeepaliveMinTime, GRPCKeepaliveTime, GRPCKeepaliveTimeout          time.Duration
	GRPCMaxConnectionIdle, GRPCMaxConnectionAge, GRPCMaxConnectionAgeGrace time.Duration
	// WatchStreamsPerCaller caps the open WatchInstance streams of one
	// caller (the authenticated principal, else the client's IP address),
	// over both transports (watch_streams_per_caller).
	WatchStreamsPerCaller int
}

// DefaultLimits are the limits of a config without a `limits` section, and
// of demo mode.
func DefaultLimits() Limits {
	return Limits{
		MaxRequestBytes:           1 << 20,
		MaxInflightRequestBytes:   32 << 20,
		MaxInflightCalls:          512,
		MaxHeaderBytes:            64 << 10,
		ReadHeaderTimeout:         5 * time.Second,
		ReadTimeout:               30 * time.Second,
		WriteTimeout:              90 * time.Second,
		IdleTimeout:               2 * time.Minute,
		GRPCMaxConcurrentStreams:  100,
		GRPCKeepaliveMinTime:      10 * time.Second,
		GRPCKeepaliveTime:         time.Minute,
		GRPCKeepaliveTimeout:      20 * time.Second,
		GRPCMaxConnectionIdle:     5 * time.Minute,
		GRPCMaxConnectionAge:      30 * time.Minute,
		GRPCMaxConnectionAgeGrace: 2 * time.Minute,
		WatchStreamsPerCaller:     32,
	}
}

var limitsKeys = []string{"max_request_bytes", "max_inflight_request_bytes", "max_inflight_calls", "max_header_bytes",
	"read_header_timeout", "read_timeout", "write_timeout", "idle_timeout",
	"grpc_max_concurrent_streams", "grpc_keepalive_min_time", "grpc_keepalive_time", "grpc_keepalive_timeout",
	"grpc_max_connection_idle", "grpc_max_connection_age", "grpc_max_connection_age_grace", "watch_streams_per_caller"}

// parseLimits parses the `limits` section (n nil: absent) over the
// defaults, and checks it against the clouds' timeouts.
func parseLimits(n *yaml.Node, f *File) error {
	l := DefaultLimits()
	wtLine := 0
	if n != nil {
		if n.Kind != yaml.MappingNode {
			return &Error{Key: "limits", Line: n.Line, Msg: "must be a mapping such as {max_request_bytes: 1MiB}"}
		}
		fields, err := mapping(n, "limits", limitsKeys)
		if err != nil {
			return err
		}
		sizes := []struct {
			key string
			dst *int64
			min int64
		}{
			{"max_request_bytes", &l.MaxRequestBytes, 1 << 10},
			{"max_inflight_request_bytes", &l.MaxInflightRequestBytes, 1 << 10},
		}
		for _, s := range sizes {
			if err := sizeField(fields, s.key, s.dst, s.min); err != nil {
				return err
			}
		}
		var hb int64 = int64(l.MaxHeaderBytes)
		if err := sizeField(fields, "max_header_bytes", &hb, 4<<10); err != nil {
			return err
		}
		if hb > 1<<30 {
			return &Error{Key: "limits.max_header_bytes", Line: fields["max_header_bytes"].Line, Msg: "is over 1GiB"}
		}
		l.MaxHeaderBytes = int(hb)
		ints := []struct {
			key string
			dst *int
		}{{"max_inflight_calls", &l.MaxInflightCalls}, {"watch_streams_per_caller", &l.WatchStreamsPerCaller}}
		for _, i := range ints {
			if err := intField(fields, i.key, i.dst, 1<<30); err != nil {
				return err
			}
		}
		streams := int(l.GRPCMaxConcurrentStreams)
		if err := intField(fields, "grpc_max_concurrent_streams", &streams, 1<<20); err != nil {
			return err
		}
		l.GRPCMaxConcurrentStreams = uint32(streams)
		durations := []struct {
			key string
			dst *time.Duration
		}{
			{"read_header_timeout", &l.ReadHeaderTimeout}, {"read_timeout", &l.ReadTimeout},
			{"write_timeout", &l.WriteTimeout}, {"idle_timeout", &l.IdleTimeout},
			{"grpc_keepalive_min_time", &l.GRPCKeepaliveMinTime}, {"grpc_keepalive_time", &l.GRPCKeepaliveTime},
			{"grpc_keepalive_timeout", &l.GRPCKeepaliveTimeout}, {"grpc_max_connection_idle", &l.GRPCMaxConnectionIdle},
			{"grpc_max_connection_age", &l.GRPCMaxConnectionAge}, {"grpc_max_connection_age_grace", &l.GRPCMaxConnectionAgeGrace},
		}
		for _, d := range durations {
			if err := durationField(fields, "limits", d.key, d.dst, "30s"); err != nil {
				return err
			}
		}
		line := func(k string) int {
			if v, ok := fields[k]; ok {
				return v.Line
			}
			return n.Line
		}
		if l.MaxInflightRequestBytes < l.MaxRequestBytes {
			return &Error{Key: "limits.max_inflight_request_bytes", Line: line("max_inflight_request_bytes"),
				Msg: fmt.Sprintf("%d is below max_request_bytes (%d): no body of the largest allowed size could ever be handled", l.MaxInflightRequestBytes, l.MaxRequestBytes)}
		}
		if l.ReadHeaderTimeout > l.ReadTimeout {
			return &Error{Key: "limits.read_header_timeout", Line: line("read_header_timeout"),
				Msg: fmt.Sprintf("%v is over read_timeout (%v), which bounds the headers too", l.ReadHeaderTimeout, l.ReadTimeout)}
		}
		if v, ok := fields["write_timeout"]; ok {
			wtLine = v.Line
		}
	}
	// A call cut by the write timeout gets no answer at all: the timeout
	// must outlast the slowest call a cloud allows. Unset, it does (the
	// slowest cloud's timeout plus 30s, at least 90s); set, it is checked.
	for i, c := range f.Clouds {
		switch {
		case wtLine == 0 && c.Timeout+30*time.Second > l.WriteTimeout:
			l.WriteTimeout = c.Timeout + 30*time.Second
		case wtLine != 0 && l.WriteTimeout <= c.Timeout:
			return &Error{Key: "limits.write_timeout", Line: wtLine, Msg: fmt.Sprintf("%v does not exceed clouds[%d].timeout (%v) of cloud %s: "+
				"a call that slow would be cut without an answer; raise write_timeout or lower the cloud's timeout", l.WriteTimeout, i, c.Timeout, c.Name)}
		}
	}
	f.Limits = l
	return nil
}

// sizeField reads a byte size: a whole number of bytes, or one with a
// KiB/MiB/GiB suffix (1MiB, 512KiB).
func sizeField(fields map[string]*yaml.Node, key string, dst *int64, min int64) error {
	v, err := scalar(fields, "limits", key)
	if err != nil || v == "" {
		return err
	}
	n, ok := parseSize(v)
	if !ok || n < min {
		return &Error{Key: "limits." + key, Line: fields[key].Line,
			Msg: fmt.Sprintf("%q is not a size of at least %d bytes, such as 1048576 or 1MiB (suffixes KiB, MiB, GiB)", v, min)}
	}
	*dst = n
	return nil
}

func parseSize(s string) (int64, bool) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if t, ok := strings.CutSuffix(s, suffix); ok {
			s, mult = strings.TrimSpace(t), m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, false
	}
	return n * mult, true
}

func intField(fields map[string]*yaml.Node, key string, dst *int, max int) error {
	v, err := scalar(fields, "limits", key)
	if err != nil || v == "" {
		return err
	}
	n, perr := strconv.Atoi(v)
	if perr != nil || n < 1 || n > max {
		return &Error{Key: "limits." + key, Line: fields[key].Line, Msg: fmt.Sprintf("%q is not a whole number from 1 to %d", v, max)}
	}
	*dst = n
	return nil
}

// durationField reads a positive Go duration (path.key) into dst; example
// ends the error message ("30s", or "10s (what the key is for)").
func durationField(fields map[string]*yaml.Node, path, key string, dst *time.Duration, example string) error {
	v, err := scalar(fields, path, key)
	if err != nil || v == "" {
		return err
	}
	d, perr := time.ParseDuration(v)
	if perr != nil || d <= 0 {
		return &Error{Key: join(path, key), Line: fields[key].Line, Msg: fmt.Sprintf("%q is not a positive Go duration such as %s", v, example)}
	}
	*dst = d
	return nil
}

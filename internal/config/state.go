package config

import (
	"fmt"
	"net"
	"strconv"

	"gopkg.in/yaml.v3"
)

// State is the top-level `state` section: where the
// state replicas share lives. Without it (nil) state is per process.
type State struct {
	Redis *Redis
}

// Redis is `state.redis`.
type Redis struct {
	Address   string // host:port
	Username  string // optional
	Password  string // resolved from password_env or password_file; optional
	TLS       bool
	KeyPrefix string // default "computegw:"
}

var stateKeys = []string{"redis"}

var redisKeys = []string{"address", "username", "password_env", "password_file", "tls", "key_prefix"}

// parseState parses the `state` section (n is nil when it is absent).
func parseState(n *yaml.Node, env Env) (*State, error) {
	if n == nil {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, &Error{Key: "state", Line: n.Line, Msg: "must be a mapping with redis"}
	}
	fields, err := mapping(n, "state", stateKeys)
	if err != nil {
		return nil, err
	}
	rn, ok := fields["redis"]
	if !ok {
		return nil, &Error{Key: "state.redis", Line: n.Line, Msg: "required in state: give redis.address"}
	}
	const path = "state.redis"
	if rn.Kind != yaml.MappingNode {
		return nil, &Error{Key: path, Line: rn.Line, Msg: "must be a mapping with address"}
	}
	for i := 0; i+1 < len(rn.Content); i += 2 {
		if k := rn.Content[i]; k.Value == "password" {
			return nil, &Error{Key: path + ".password", Line: k.Line, Msg: "the Redis password is never inline: give password_env or password_file"}
		}
	}
	rf, err := mapping(rn, path, redisKeys)
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"address", "username", "tls", "key_prefix"} {
		if _, err := scalar(rf, path, k); err != nil {
			return nil, err
		}
	}
	get := func(k string) string { v, _ := scalar(rf, path, k); return v }
	r := &Redis{Address: get("address"), Username: get("username"), KeyPrefix: get("key_prefix")}
	if r.Address == "" {
		return nil, &Error{Key: path + ".address", Line: rn.Line, Msg: "required: the Redis server's host:port, e.g. redis.computegw.svc:6379"}
	}
	host, port, err := net.SplitHostPort(r.Address)
	if p, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || p < 1 || p > 65535 {
		return nil, &Error{Key: path + ".address", Line: rf["address"].Line, Msg: fmt.Sprintf("%q is not host:port, e.g. redis.computegw.svc:6379", r.Address)}
	}
	if _, ok := rf["key_prefix"]; ok && r.KeyPrefix == "" {
		return nil, &Error{Key: path + ".key_prefix", Line: rf["key_prefix"].Line, Msg: "is empty: leave it out for the default \"computegw:\""}
	}
	if r.KeyPrefix == "" {
		r.KeyPrefix = "computegw:"
	}
	if tn, ok := rf["tls"]; ok {
		var b bool
		if err := tn.Decode(&b); err != nil || tn.Tag != "!!bool" {
			return nil, &Error{Key: path + ".tls", Line: tn.Line, Msg: fmt.Sprintf("%q is not true or false", tn.Value)}
		}
		r.TLS = b
	}
	if r.Password, err = secret(rf, path, "password", env, false); err != nil {
		return nil, err
	}
	return &State{Redis: r}, nil
}

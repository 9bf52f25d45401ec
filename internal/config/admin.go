package config

import (
	"fmt"
	"net"

	"gopkg.in/yaml.v3"
)

// parseAdmin reads admin_addr: the admin listener's
// address (/metrics, /debug/pprof/, /healthz, /readyz), off when unset.
func parseAdmin(fields map[string]*yaml.Node, f *File) error {
	addr, err := scalar(fields, "", "admin_addr")
	if err != nil || addr == "" {
		return err
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return &Error{Key: "admin_addr", Line: fields["admin_addr"].Line,
			Msg: fmt.Sprintf("%q is not a host:port address such as 127.0.0.1:9464", addr)}
	}
	if addr == f.HTTPAddr || addr == f.GRPCAddr {
		return &Error{Key: "admin_addr", Line: fields["admin_addr"].Line,
			Msg: fmt.Sprintf("%s is also a public listener's address; the admin listener needs a port of its own", addr)}
	}
	f.AdminAddr = addr
	return nil
}

package auth

import (
	"fmt"
	"slices"
	"strings"
)

// Role is a per-cloud role; each includes the ones before it.
type Role int

const (
	NoRole Role = iota
	Viewer
	Operator
	Admin
)

func (r Role) String() string {
	switch r {
	case Viewer:
		return "viewer"
	case Operator:
		return "operator"
	case Admin:
		return "admin"
	}
	return "none"
}

// ParseRole reads a role name of the config.
func ParseRole(s string) (Role, bool) {
	switch s {
	case "viewer":
		return Viewer, true
	case "operator":
		return Operator, true
	case "admin":
		return Admin, true
	}
	return NoRole, false
}

// operatorRPCs are the calls that change an existing instance
// (UpdateInstance, every instance action, AttachVolume, DetachVolume): the
// operator role may make them, the viewer role may not.
var operatorRPCs = []string{
	"UpdateInstance", "StartInstance", "StopInstance", "RebootInstance", "ResizeInstance",
	"ConfirmResizeInstance", "RevertResizeInstance", "ShelveInstance", "UnshelveInstance",
	"RebuildInstance", "CreateInstanceImage", "AddSecurityGroup", "RemoveSecurityGroup",
	"AddFloatingIp", "RemoveFloatingIp", "AttachVolume", "DetachVolume",
}

// RoleFor is the role an RPC (short name) needs on its cloud: viewer for
// ListClouds, GetCloud, every List/Get and WatchInstance; operator for the
// instance actions; admin for CreateInstance, DeleteInstance,
// CreateKeyPair, DeleteKeyPair — and, failing closed, for any RPC this
// table does not know.
func RoleFor(method string) Role {
	switch {
	case method == "WatchInstance", strings.HasPrefix(method, "List"), strings.HasPrefix(method, "Get"):
		return Viewer
	case slices.Contains(operatorRPCs, method):
		return Operator
	}
	return Admin
}

// Changes reports whether an RPC changes something (the calls that are
// audited): every one that needs more than viewer.
func Changes(method string) bool { return RoleFor(method) > Viewer }

// AllClouds in a rule's clouds matches every cloud.
const AllClouds = "*"

// Rule grants Role on Clouds to Principals.
type Rule struct {
	Principals []string
	Clouds     []string
	Role       Role
}

// Policy is the list of rules; a caller's role on a cloud is the highest
// any matching rule grants.
type Policy struct {
	Rules []Rule
}

// Role is the highest role any of principals has on cloud.
func (p *Policy) Role(principals []string, cloud string) Role {
	best := NoRole
	for _, r := range p.Rules {
		if r.Role <= best {
			continue
		}
		if !slices.Contains(r.Clouds, AllClouds) && !slices.Contains(r.Clouds, cloud) {
			continue
		}
		for _, pr := range principals {
			if slices.Contains(r.Principals, pr) {
				best = r.Role
				break
			}
		}
	}
	return best
}

// CheckPrincipal validates a principal as written in the config:
// user:{sub}, group:{name}, cert:{CN} or anonymous.
func CheckPrincipal(s string) error {
	if s == Anonymous {
		return nil
	}
	kind, rest, ok := strings.Cut(s, ":")
	if !ok || (kind != "user" && kind != "group" && kind != "cert") {
		return fmt.Errorf("%q is not a principal: use user:SUBJECT, group:NAME, cert:COMMON_NAME or anonymous", s)
	}
	if rest == "" {
		return fmt.Errorf("%q names no %s", s, kind)
	}
	return nil
}

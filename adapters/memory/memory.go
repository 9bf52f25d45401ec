// Package memory is computegw's in-memory reference adapter. It implements
// every driver interface, optional ones included, with the state machine the
// real dialects share (BUILD then ACTIVE, stop, start, resize with confirm,
// shelve, rebuild, delete), so the conformance suite in driver/drivertest can
// be proved against it and the portable layer can be tested without any
// vendor server. It is for tests and examples, not for production clouds.
package memory

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/computegw/computegw/driver"
)

// Name is the dialect the reference adapter reports by default. It is not
// one of the API's dialects: GetCloud reports it as DIALECT_UNSPECIFIED.
const Name driver.Dialect = "memory"

// Seeded fixture IDs.
const (
	FlavorSmall   = "m1.small"
	FlavorLarge   = "m1.large"
	ImageUbuntu   = "img-ubuntu-24.04"
	ImageRocky    = "img-rocky-9"
	NetworkID     = "net-private"
	VolumeA       = "vol-a"
	VolumeB       = "vol-b"
	FloatingIP    = "203.0.113.10"
	SecurityGroup = "web"
	Zone          = "zone-a"
)

// Options configure an Adapter.
type Options struct {
	// Dialect the adapter reports (default Name; the reference adapter
	// speaks no wire format, so this is only a label).
	Dialect driver.Dialect
	// Delay is how long each transitional state lasts (default 50ms).
	Delay time.Duration
	// Seed adds two running instances and one key pair.
	Seed bool
	Now  func() time.Time
}

// Adapter is the in-memory reference adapter.
type Adapter struct {
	opt Options

	mu        sync.Mutex
	seq       int
	instances map[string]*instance
	keys      map[string]driver.KeyPair
	volumes   map[string]string // volume ID -> instance ID ("" = free)
	floating  map[string]string // floating IP -> instance ID
	images    map[string]bool
	flavors   []driver.Flavor
	groups    map[string]bool
	closed    bool
}

type instance struct {
	driver.Instance
	next    driver.State // state after the transition
	at      time.Time    // when the transition completes (zero: none)
	then    func(*instance)
	oldFlav string
}

// Adapter implements driver.Adapter and every optional interface the
// portable layer knows (server's operations table, discovery included):
// TestEveryOperation checks that against the table itself, so an optional
// operation added there is checked here with no list to keep in step.
var _ driver.Adapter = (*Adapter)(nil)

// New returns an empty (or seeded) in-memory cloud.
func New(opt Options) *Adapter {
	if opt.Dialect == "" {
		opt.Dialect = Name
	}
	if opt.Delay <= 0 {
		opt.Delay = 50 * time.Millisecond
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	a := &Adapter{
		opt:       opt,
		instances: map[string]*instance{},
		keys:      map[string]driver.KeyPair{},
		volumes:   map[string]string{VolumeA: "", VolumeB: ""},
		floating:  map[string]string{FloatingIP: "", "203.0.113.11": ""},
		images:    map[string]bool{ImageUbuntu: true, ImageRocky: true},
		groups:    map[string]bool{"default": true, SecurityGroup: true},
		flavors: []driver.Flavor{
			{ID: FlavorSmall, Name: "m1.small", VCPUs: 1, RAMMB: 2048, DiskGB: 20, IsPublic: true},
			{ID: FlavorLarge, Name: "m1.large", VCPUs: 4, RAMMB: 8192, DiskGB: 80, IsPublic: true},
		},
	}
	if opt.Seed {
		for _, n := range []string{"demo-web-1", "demo-db-1"} {
			in, _ := a.CreateInstance(context.Background(), &driver.CreateInstanceRequest{
				Name: n, FlavorID: FlavorSmall, ImageID: ImageUbuntu, Zone: Zone,
				Networks: []driver.NetworkSpec{{NetworkID: NetworkID}},
			})
			a.instances[in.ID].State, a.instances[in.ID].VendorStatus, a.instances[in.ID].at = driver.StateRunning, "ACTIVE", time.Time{}
		}
		a.keys["demo-key"] = makeKeyPair("demo-key", "", a.opt.Now())
	}
	return a
}

// Dialect implements driver.Adapter.
func (a *Adapter) Dialect() driver.Dialect { return a.opt.Dialect }

// Close implements driver.Adapter.
func (a *Adapter) Close() error {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	return nil
}

var vendorStatus = map[driver.State]string{
	driver.StateProvisioning: "BUILD", driver.StateRunning: "ACTIVE", driver.StateStarting: "ACTIVE",
	driver.StateStopping: "ACTIVE", driver.StateStopped: "SHUTOFF", driver.StateRebooting: "REBOOT",
	driver.StateResizing: "RESIZE", driver.StateVerifyResize: "VERIFY_RESIZE",
	driver.StateRevertingResize: "REVERT_RESIZE", driver.StateRebuilding: "REBUILD",
	driver.StateShelved: "SHELVED_OFFLOADED", driver.StateDeleting: "ACTIVE",
}

// settle applies a due transition. Callers hold a.mu.
func (a *Adapter) settle(in *instance) {
	if !in.at.IsZero() && !a.opt.Now().Before(in.at) {
		in.State, in.at = in.next, time.Time{}
		in.VendorStatus = vendorStatus[in.State]
		in.Updated = a.opt.Now()
		if in.then != nil {
			f := in.then
			in.then = nil
			f(in)
		}
	}
}

func (a *Adapter) get(id string) (*instance, error) {
	if a.closed {
		return nil, driver.Errorf(driver.CodeUnavailable, "adapter closed")
	}
	in, ok := a.instances[id]
	if !ok {
		return nil, driver.Errorf(driver.CodeNotFound, "instance %q not found", id)
	}
	a.settle(in)
	if in.State == driver.StateDeleted {
		delete(a.instances, id)
		return nil, driver.Errorf(driver.CodeNotFound, "instance %q not found", id)
	}
	return in, nil
}

// begin starts a transition through state `via` to `to`.
func (a *Adapter) begin(in *instance, via, to driver.State, then func(*instance)) {
	in.State, in.next, in.at, in.then = via, to, a.opt.Now().Add(a.opt.Delay), then
	in.VendorStatus = vendorStatus[via]
	in.Updated = a.opt.Now()
}

func conflict(in *instance, op string) error {
	return &driver.Error{Code: driver.CodeFailedPrecondition, VendorHTTPStatus: 409, VendorCode: "conflictingRequest",
		Message: fmt.Sprintf("cannot %s instance %s while it is %s", op, in.ID, in.State)}
}

func snapshot(in *instance) *driver.Instance {
	c := in.Instance
	c.Addresses = slices.Clone(in.Addresses)
	c.SecurityGroups = slices.Clone(in.SecurityGroups)
	c.VolumeIDs = slices.Clone(in.VolumeIDs)
	if in.Metadata != nil {
		c.Metadata = make(map[string]string, len(in.Metadata))
		for k, v := range in.Metadata {
			c.Metadata[k] = v
		}
	}
	c.AdminPass = ""
	return &c
}

// ListInstances implements driver.Adapter.
func (a *Adapter) ListInstances(ctx context.Context, opts driver.ListInstancesOptions) (*driver.InstancePage, error) {
	if err := ctx.Err(); err != nil {
		return nil, driver.Errorf(driver.CodeDeadlineExceeded, "%v", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	all := make([]driver.Instance, 0, len(a.instances))
	for id := range a.instances {
		in, err := a.get(id)
		if err != nil {
			continue
		}
		all = append(all, *snapshot(in))
	}
	return driver.PageLocally(all, opts), nil
}

// GetInstance implements driver.Adapter.
func (a *Adapter) GetInstance(ctx context.Context, id string) (*driver.Instance, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	in, err := a.get(id)
	if err != nil {
		return nil, err
	}
	return snapshot(in), nil
}

func (a *Adapter) hasFlavor(id string) bool {
	return slices.ContainsFunc(a.flavors, func(f driver.Flavor) bool { return f.ID == id })
}

// CreateInstance implements driver.Adapter.
func (a *Adapter) CreateInstance(ctx context.Context, req *driver.CreateInstanceRequest) (*driver.Instance, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.hasFlavor(req.FlavorID) {
		return nil, driver.InvalidArgument("instance.flavor", fmt.Sprintf("flavor %q does not exist", req.FlavorID))
	}
	if !a.images[req.ImageID] {
		return nil, driver.InvalidArgument("instance.image", fmt.Sprintf("image %q does not exist", req.ImageID))
	}
	if req.KeyName != "" {
		if _, ok := a.keys[req.KeyName]; !ok {
			return nil, driver.InvalidArgument("instance.key_pair", fmt.Sprintf("key pair %q does not exist", req.KeyName))
		}
	}
	for _, g := range req.SecurityGroups {
		if !a.groups[g] {
			return nil, driver.InvalidArgument("instance.security_groups", fmt.Sprintf("security group %q does not exist", g))
		}
	}
	a.seq++
	id := fmt.Sprintf("%08x-0000-4000-8000-%012x", a.seq, a.seq)
	now := a.opt.Now()
	groups := slices.Clone(req.SecurityGroups)
	if len(groups) == 0 {
		groups = []string{"default"}
	}
	in := &instance{Instance: driver.Instance{
		ID: id, Name: req.Name, FlavorID: req.FlavorID, ImageID: req.ImageID, Zone: req.Zone, KeyName: req.KeyName,
		SecurityGroups: groups, Metadata: req.Metadata, Created: now, Updated: now,
		Addresses: []driver.Address{{Network: NetworkID, IP: fmt.Sprintf("10.0.0.%d", 10+a.seq%240), Version: 4, Type: driver.AddressFixed}},
	}}
	if req.BootVolume != nil {
		in.BootVolumeSizeGB, in.BootVolumeType = req.BootVolume.SizeGB, req.BootVolume.Type
	}
	a.begin(in, driver.StateProvisioning, driver.StateRunning, func(in *instance) { in.Launched = a.opt.Now() })
	a.instances[id] = in
	out := snapshot(in)
	out.AdminPass = "one-time-" + id[:8]
	return out, nil
}

// DeleteInstance implements driver.Adapter.
func (a *Adapter) DeleteInstance(ctx context.Context, id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	in, err := a.get(id)
	if err != nil {
		return err
	}
	for v, owner := range a.volumes {
		if owner == id {
			a.volumes[v] = ""
		}
	}
	for ip, owner := range a.floating {
		if owner == id {
			a.floating[ip] = ""
		}
	}
	a.begin(in, driver.StateDeleting, driver.StateDeleted, nil)
	return nil
}

// act runs a state-checked action.
func (a *Adapter) act(id, op string, allowed []driver.State, f func(in *instance) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	in, err := a.get(id)
	if err != nil {
		return err
	}
	if !slices.Contains(allowed, in.State) {
		return conflict(in, op)
	}
	return f(in)
}

var runningOrStopped = []driver.State{driver.StateRunning, driver.StateStopped}

// step is an action that only moves the instance from one of the states
// from through during to "to".
func (a *Adapter) step(id, op string, from []driver.State, during, to driver.State) error {
	return a.act(id, op, from, func(in *instance) error {
		a.begin(in, during, to, nil)
		return nil
	})
}

// StartInstance implements driver.Adapter.
func (a *Adapter) StartInstance(ctx context.Context, id string) error {
	return a.step(id, "start", []driver.State{driver.StateStopped}, driver.StateStarting, driver.StateRunning)
}

// StopInstance implements driver.Adapter.
func (a *Adapter) StopInstance(ctx context.Context, id string) error {
	return a.step(id, "stop", []driver.State{driver.StateRunning}, driver.StateStopping, driver.StateStopped)
}

// RebootInstance implements driver.Adapter.
func (a *Adapter) RebootInstance(ctx context.Context, id string, hard bool) error {
	return a.step(id, "reboot", []driver.State{driver.StateRunning}, driver.StateRebooting, driver.StateRunning)
}

// ResizeInstance implements driver.Adapter.
func (a *Adapter) ResizeInstance(ctx context.Context, id, flavorID string) error {
	return a.act(id, "resize", runningOrStopped, func(in *instance) error {
		if !a.hasFlavor(flavorID) {
			return driver.InvalidArgument("flavor", fmt.Sprintf("flavor %q does not exist", flavorID))
		}
		if flavorID == in.FlavorID {
			return driver.InvalidArgument("flavor", "the instance already has this flavor")
		}
		in.oldFlav = in.FlavorID
		a.begin(in, driver.StateResizing, driver.StateVerifyResize, func(in *instance) { in.FlavorID = flavorID })
		return nil
	})
}

// ConfirmResize implements driver.ResizeConfirmer.
func (a *Adapter) ConfirmResize(ctx context.Context, id string) error {
	return a.act(id, "confirm the resize of", []driver.State{driver.StateVerifyResize}, func(in *instance) error {
		in.State, in.VendorStatus, in.oldFlav = driver.StateRunning, "ACTIVE", ""
		return nil
	})
}

// RevertResize implements driver.ResizeConfirmer.
func (a *Adapter) RevertResize(ctx context.Context, id string) error {
	return a.act(id, "revert the resize of", []driver.State{driver.StateVerifyResize}, func(in *instance) error {
		old := in.oldFlav
		a.begin(in, driver.StateRevertingResize, driver.StateRunning, func(in *instance) { in.FlavorID = old })
		return nil
	})
}

// ShelveInstance implements driver.Shelver.
func (a *Adapter) ShelveInstance(ctx context.Context, id string) error {
	return a.step(id, "shelve", runningOrStopped, driver.StateStopping, driver.StateShelved)
}

// UnshelveInstance implements driver.Shelver.
func (a *Adapter) UnshelveInstance(ctx context.Context, id string) error {
	return a.step(id, "unshelve", []driver.State{driver.StateShelved}, driver.StateStarting, driver.StateRunning)
}

// RebuildInstance implements driver.Rebuilder.
func (a *Adapter) RebuildInstance(ctx context.Context, id string, req driver.RebuildRequest) error {
	return a.act(id, "rebuild", runningOrStopped, func(in *instance) error {
		if !a.images[req.ImageID] {
			return driver.InvalidArgument("image", fmt.Sprintf("image %q does not exist", req.ImageID))
		}
		a.begin(in, driver.StateRebuilding, driver.StateRunning, func(in *instance) {
			in.ImageID = req.ImageID
			if req.Name != "" {
				in.Name = req.Name
			}
			if req.Metadata != nil {
				in.Metadata = req.Metadata
			}
		})
		return nil
	})
}

// RenameInstance implements driver.InstanceRenamer.
func (a *Adapter) RenameInstance(ctx context.Context, id, name string) (*driver.Instance, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	in, err := a.get(id)
	if err != nil {
		return nil, err
	}
	in.Name, in.Updated = name, a.opt.Now()
	return snapshot(in), nil
}

// CreateInstanceImage implements driver.ImageCreator.
func (a *Adapter) CreateInstanceImage(ctx context.Context, id, name string, md map[string]string) (string, error) {
	var img string
	err := a.act(id, "snapshot", runningOrStopped, func(in *instance) error {
		a.seq++
		img = fmt.Sprintf("img-%s-%d", strings.ToLower(strings.ReplaceAll(name, " ", "-")), a.seq)
		a.images[img] = true
		return nil
	})
	return img, err
}

// AddSecurityGroup implements driver.SecurityGroupManager.
func (a *Adapter) AddSecurityGroup(ctx context.Context, id, group string) error {
	return a.act(id, "change security groups of", runningOrStopped, func(in *instance) error {
		if !a.groups[group] {
			return driver.Errorf(driver.CodeNotFound, "security group %q does not exist", group)
		}
		if slices.Contains(in.SecurityGroups, group) {
			return driver.Errorf(driver.CodeFailedPrecondition, "security group %q is already on the instance", group)
		}
		in.SecurityGroups = append(in.SecurityGroups, group)
		return nil
	})
}

// RemoveSecurityGroup implements driver.SecurityGroupManager.
func (a *Adapter) RemoveSecurityGroup(ctx context.Context, id, group string) error {
	return a.act(id, "change security groups of", runningOrStopped, func(in *instance) error {
		i := slices.Index(in.SecurityGroups, group)
		if i < 0 {
			return driver.Errorf(driver.CodeNotFound, "security group %q is not on the instance", group)
		}
		in.SecurityGroups = slices.Delete(in.SecurityGroups, i, i+1)
		return nil
	})
}

// claim gives the free resource key of owners (floating IPs, volumes) to
// instance id: NOT_FOUND when there is no such resource, FAILED_PRECONDITION
// when another instance holds it. what names it in messages.
func claim(owners map[string]string, key, what, id string) error {
	owner, ok := owners[key]
	if !ok {
		return driver.Errorf(driver.CodeNotFound, "%s does not exist", what)
	}
	if owner != "" {
		return driver.Errorf(driver.CodeFailedPrecondition, "%s is in use", what)
	}
	owners[key] = id
	return nil
}

// AddFloatingIP implements driver.FloatingIPManager.
func (a *Adapter) AddFloatingIP(ctx context.Context, id, address, fixedIP string) error {
	return a.act(id, "associate a floating IP with", runningOrStopped, func(in *instance) error {
		if err := claim(a.floating, address, "floating IP "+address, id); err != nil {
			return err
		}
		in.Addresses = append(in.Addresses, driver.Address{Network: NetworkID, IP: address, Version: 4, Type: driver.AddressFloating})
		return nil
	})
}

// RemoveFloatingIP implements driver.FloatingIPManager.
func (a *Adapter) RemoveFloatingIP(ctx context.Context, id, address string) error {
	return a.act(id, "disassociate a floating IP from", runningOrStopped, func(in *instance) error {
		if a.floating[address] != id {
			return driver.Errorf(driver.CodeNotFound, "floating IP %s is not associated with the instance", address)
		}
		a.floating[address] = ""
		in.Addresses = slices.DeleteFunc(in.Addresses, func(x driver.Address) bool { return x.IP == address })
		return nil
	})
}

// ListFlavors implements driver.Adapter.
func (a *Adapter) ListFlavors(ctx context.Context, f driver.FlavorFilter) ([]driver.Flavor, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.flavors), nil
}

// GetFlavor implements driver.Adapter.
func (a *Adapter) GetFlavor(ctx context.Context, id string) (*driver.Flavor, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, f := range a.flavors {
		if f.ID == id {
			return &f, nil
		}
	}
	return nil, driver.Errorf(driver.CodeNotFound, "flavor %q not found", id)
}

// ListZones implements driver.Adapter.
func (a *Adapter) ListZones(ctx context.Context) ([]driver.Zone, error) {
	return []driver.Zone{{Name: Zone, Available: true}, {Name: "zone-b", Available: true}}, nil
}

// ListKeyPairs implements driver.Adapter.
func (a *Adapter) ListKeyPairs(ctx context.Context) ([]driver.KeyPair, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]driver.KeyPair, 0, len(a.keys))
	for _, k := range a.keys {
		out = append(out, k)
	}
	slices.SortFunc(out, func(x, y driver.KeyPair) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

// GetKeyPair implements driver.Adapter.
func (a *Adapter) GetKeyPair(ctx context.Context, name string) (*driver.KeyPair, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k, ok := a.keys[name]
	if !ok {
		return nil, driver.Errorf(driver.CodeNotFound, "key pair %q not found", name)
	}
	return &k, nil
}

// CreateKeyPair implements driver.Adapter.
func (a *Adapter) CreateKeyPair(ctx context.Context, req driver.CreateKeyPairRequest) (*driver.KeyPair, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.keys[req.Name]; ok {
		return nil, driver.Errorf(driver.CodeAlreadyExists, "key pair %q already exists", req.Name)
	}
	k := makeKeyPair(req.Name, req.PublicKey, a.opt.Now())
	out := k
	k.PrivateKey = ""
	a.keys[req.Name] = k
	return &out, nil
}

// DeleteKeyPair implements driver.Adapter.
func (a *Adapter) DeleteKeyPair(ctx context.Context, name string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.keys[name]; !ok {
		return driver.Errorf(driver.CodeNotFound, "key pair %q not found", name)
	}
	delete(a.keys, name)
	return nil
}

// ListVolumeAttachments implements driver.Adapter.
func (a *Adapter) ListVolumeAttachments(ctx context.Context, id string) ([]driver.VolumeAttachment, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	in, err := a.get(id)
	if err != nil {
		return nil, err
	}
	out := []driver.VolumeAttachment{}
	for i, v := range in.VolumeIDs {
		out = append(out, driver.VolumeAttachment{VolumeID: v, InstanceID: id, Device: fmt.Sprintf("/dev/vd%c", 'b'+i), AttachmentID: v})
	}
	return out, nil
}

// GetVolumeAttachment implements driver.Adapter.
func (a *Adapter) GetVolumeAttachment(ctx context.Context, id, volumeID string) (*driver.VolumeAttachment, error) {
	atts, err := a.ListVolumeAttachments(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, at := range atts {
		if at.VolumeID == volumeID {
			return &at, nil
		}
	}
	return nil, driver.Errorf(driver.CodeNotFound, "volume %q is not attached to instance %q", volumeID, id)
}

// AttachVolume implements driver.Adapter.
func (a *Adapter) AttachVolume(ctx context.Context, id, volumeID string) (*driver.VolumeAttachment, error) {
	var att *driver.VolumeAttachment
	err := a.act(id, "attach a volume to", runningOrStopped, func(in *instance) error {
		if err := claim(a.volumes, volumeID, fmt.Sprintf("volume %q", volumeID), id); err != nil {
			return err
		}
		in.VolumeIDs = append(in.VolumeIDs, volumeID)
		att = &driver.VolumeAttachment{VolumeID: volumeID, InstanceID: id, Device: fmt.Sprintf("/dev/vd%c", 'a'+len(in.VolumeIDs)), AttachmentID: volumeID}
		return nil
	})
	return att, err
}

// DetachVolume implements driver.Adapter.
func (a *Adapter) DetachVolume(ctx context.Context, id, volumeID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	in, err := a.get(id)
	if err != nil {
		return err
	}
	i := slices.Index(in.VolumeIDs, volumeID)
	if i < 0 {
		return driver.Errorf(driver.CodeNotFound, "volume %q is not attached to instance %q", volumeID, id)
	}
	in.VolumeIDs = slices.Delete(in.VolumeIDs, i, i+1)
	a.volumes[volumeID] = ""
	return nil
}

// makeKeyPair imports pub, or generates an Ed25519 key when pub is empty.
func makeKeyPair(name, pub string, now time.Time) driver.KeyPair {
	k := driver.KeyPair{Name: name, PublicKey: pub, Type: "ssh", Created: now}
	if pub == "" {
		pk, sk, _ := ed25519.GenerateKey(rand.Reader)
		var blob []byte
		blob = sshString(blob, []byte("ssh-ed25519"))
		blob = sshString(blob, pk)
		k.PublicKey = "ssh-ed25519 " + base64.StdEncoding.EncodeToString(blob) + " " + name
		block, _ := ssh.MarshalPrivateKey(sk, name) // the gateway's one format (internal/sshkey)
		k.PrivateKey = string(pem.EncodeToMemory(block))
	}
	sum := sha256.Sum256([]byte(k.PublicKey))
	k.Fingerprint = "SHA256:" + hex.EncodeToString(sum[:16])
	return k
}

func sshString(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// Package driver defines the contract between computegw's portable compute
// layer and the per-dialect adapters (the packages under adapters/). It is for adapter authors: the portable layer (package
// server) owns resource names, validation, paging tokens, error conversion
// and UNIMPLEMENTED answers, so an adapter only speaks its vendor's dialect.
//
// Rules every adapter follows:
//
//   - Adapters never import generated proto types; the structs here are the
//     adapter-side copies and the portable layer converts.
//   - Every method honours ctx (deadline and cancellation) on every backend
//     call. The portable layer already applies the cloud's per-call timeout.
//   - Errors are classified once, in the adapter, as *Error values (see
//     errors.go). An error that is not an *Error is reported as UNKNOWN.
//   - Validation of fields the vendor constrains (lengths, formats) happens in
//     the adapter before any backend call, as an *Error with CodeInvalidArgument
//     and FieldViolations naming the portable field (for example
//     "instance.display_name").
//   - A create that may have reached the vendor is never retried blindly.
//   - Secrets (passwords, tokens) never appear in errors or logs.
//
// Operations that only some dialects have are optional interfaces
// (InstanceRenamer, ResizeConfirmer, Shelver, Rebuilder, ImageCreator,
// SecurityGroupManager, FloatingIPManager, KeyPairManager,
// VolumeAttacher). The portable layer checks for them and answers
// UNIMPLEMENTED with reason UNSUPPORTED_BY_DIALECT when an adapter lacks
// one.
package driver

import (
	"context"
	"time"
)

// Dialect names a vendor API dialect, as written in the config file. Each
// adapter package declares its own (its Name constant); the list of dialects
// the gateway serves is internal/dialects.All.
type Dialect string

// State is the unified instance state. The values mirror the
// computegw.v1.Instance.State enum in proto/computegw/v1/compute.proto.
type State int

// Unified states. Keep in the same order as the proto enum.
const (
	StateUnspecified State = iota
	StateProvisioning
	StateRunning
	StateStarting
	StateStopping
	StateStopped
	StateRebooting
	StateResizing
	StateVerifyResize
	StateRevertingResize
	StateMigrating
	StateRebuilding
	StateShelved
	StatePaused
	StateSuspended
	StateRescued
	StateDeleting
	StateDeleted
	StateError
	StateUnknown
)

var stateNames = [...]string{
	"STATE_UNSPECIFIED", "PROVISIONING", "RUNNING", "STARTING", "STOPPING", "STOPPED",
	"REBOOTING", "RESIZING", "VERIFY_RESIZE", "REVERTING_RESIZE", "MIGRATING", "REBUILDING",
	"SHELVED", "PAUSED", "SUSPENDED", "RESCUED", "DELETING", "DELETED", "ERROR", "UNKNOWN",
}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "UNKNOWN"
}

// ParseState returns the State named by its contract name (e.g. "RUNNING").
func ParseState(name string) (State, bool) {
	for i, n := range stateNames {
		if n == name {
			return State(i), true
		}
	}
	return StateUnspecified, false
}

// AddressType says whether an address is the instance's own or a floating one.
type AddressType int

// Address types.
const (
	AddressTypeUnspecified AddressType = iota
	AddressFixed
	AddressFloating
)

// Address is one IP address of an instance.
type Address struct {
	Network string // network name or ID as the vendor reports it
	IP      string
	Version int // 4 or 6; 0 when unknown
	Type    AddressType
	MAC     string
}

// Instance is a virtual server as an adapter reports it.
type Instance struct {
	ID           string // the vendor's instance ID; required
	Name         string // the display name
	State        State  // unified state; StateUnknown for an unrecognised status
	VendorStatus string // the backend's raw status string, always kept
	TaskState    string // Nova task_state or similar, when the vendor reports one

	FlavorID string
	// FlavorDetails carries the flavor's sizes where the vendor reports
	// them on the instance itself (TOAST's name, cpu and ram; NHN's
	// ephemeral disk); nil when it reports the ID only. Only the fields
	// the vendor gives are set: the portable layer fills the others from
	// the cloud's flavor list.
	FlavorDetails  *Flavor
	ImageID        string
	Zone           string
	KeyName        string
	Addresses      []Address
	SecurityGroups []string
	VolumeIDs      []string // IDs of attached volumes
	Metadata       map[string]string

	// BootVolumeSizeGB and BootVolumeType describe the root volume when the
	// vendor reports them (0 / "" when unknown).
	BootVolumeSizeGB int
	BootVolumeType   string

	Created  time.Time
	Updated  time.Time
	Launched time.Time

	// AdminPass is the one-time administrator password some vendors return
	// from create only. Never set it on reads.
	AdminPass string
}

// NetworkSpec is one network interface requested at create time. Exactly one
// of NetworkID, SubnetID or PortID is set; FixedIP is optional.
type NetworkSpec struct {
	NetworkID string
	SubnetID  string
	PortID    string
	FixedIP   string
}

// BootVolumeSpec is the root volume requested at create time.
type BootVolumeSpec struct {
	SizeGB              int
	Type                string
	DeleteOnTermination bool
}

// CreateInstanceRequest is a validated create request. The portable layer
// has checked that Name, FlavorID and ImageID are set; the adapter checks
// everything its vendor constrains further.
type CreateInstanceRequest struct {
	Name     string
	FlavorID string
	// Flavor is flavor FlavorID as the portable layer's flavor cache holds
	// it, or nil when the cache cannot tell. An adapter whose request shape
	// depends on the flavor uses it instead of asking the vendor again.
	Flavor         *Flavor
	ImageID        string
	Zone           string
	KeyName        string
	Networks       []NetworkSpec
	SecurityGroups []string
	BootVolume     *BootVolumeSpec // nil: the vendor's default
	UserData       []byte          // raw bytes; the adapter encodes as its vendor wants
	Metadata       map[string]string
	// RequestID is the caller's idempotency key (AIP-155), possibly empty.
	// The portable layer already de-duplicates retries within one gateway;
	// an adapter may record it with the vendor (for example as metadata).
	RequestID string
}

// InstanceFilter narrows ListInstances. Zero fields do not filter. An adapter
// may push any of these down to its vendor; the portable layer applies all of
// them again to what the adapter returns, so pushing down is an optimisation.
type InstanceFilter struct {
	Name         string // exact display name
	State        State  // StateUnspecified: any
	FlavorID     string
	ImageID      string
	Zone         string
	ChangesSince time.Time
}

// ListInstancesOptions asks for one page of instances.
type ListInstancesOptions struct {
	Filter InstanceFilter
	// PageSize is the most instances to return (always 1..1000).
	PageSize int
	// Marker is the ID of the last instance of the previous page; empty for
	// the first page. The adapter returns instances after it, in a stable
	// order (the vendor's order, or by ID for dialects without paging).
	Marker string
}

// InstancePage is one page of instances.
type InstancePage struct {
	Instances []Instance
	// More is true when instances may follow the last one returned.
	More bool
}

// Flavor is an instance type.
type Flavor struct {
	ID          string
	Name        string
	VCPUs       int
	RAMMB       int
	DiskGB      int
	EphemeralGB int
	IsPublic    bool
	Type        string // vendor flavor family, when reported (TOAST "type")
	// VolumeSizeGB is the vendor's fixed root volume size when reported
	// (TOAST "volumeSize"); 0 otherwise.
	VolumeSizeGB int
	// MinDiskGB, MinRAMMB are vendor lower bounds when reported.
	MinDiskGB int
	MinRAMMB  int
}

// FlavorFilter narrows ListFlavors; an adapter may push it down, the portable
// layer re-applies it.
type FlavorFilter struct {
	MinDiskGB int
	MinRAMMB  int
}

// Zone is an availability zone.
type Zone struct {
	Name      string
	Available bool
}

// KeyPair is an SSH key pair.
type KeyPair struct {
	Name        string
	PublicKey   string
	Fingerprint string
	Type        string // "ssh" or "x509" when reported
	Zone        string // K5 keys may be zonal
	// PrivateKey is set only on the answer to a create that generated the
	// key; it is never stored.
	PrivateKey string
	Created    time.Time
}

// CreateKeyPairRequest creates (empty PublicKey) or imports a key pair.
type CreateKeyPairRequest struct {
	Name      string
	PublicKey string
	Zone      string
}

// VolumeAttachment is a block-storage volume attached to an instance.
type VolumeAttachment struct {
	VolumeID     string
	InstanceID   string
	Device       string // e.g. /dev/vdb, when reported
	AttachmentID string // vendor attachment ID when it differs from VolumeID
}

// RebuildRequest rebuilds an instance from an image.
type RebuildRequest struct {
	ImageID  string
	Name     string // optional new name
	Metadata map[string]string
}

// Adapter is what every dialect implements. Each method documents the errors
// the portable layer relies on; any other failure is an *Error with the
// closest code (CodeUnavailable for transport failures and vendor 5xx).
type Adapter interface {
	// Dialect reports the adapter's dialect.
	Dialect() Dialect

	// ListInstances returns one page of instances after opts.Marker, at most
	// opts.PageSize of them. A Marker that names no instance never restarts
	// the list: an adapter whose vendor pages answers CodeInvalidArgument
	// (the vendor cannot tell where to resume); one that pages locally
	// (PageLocally, ordered by ID) resumes after where the Marker would sort,
	// so a page token whose last instance was deleted since still continues.
	ListInstances(ctx context.Context, opts ListInstancesOptions) (*InstancePage, error)
	// GetInstance returns one instance; CodeNotFound when it does not exist.
	GetInstance(ctx context.Context, id string) (*Instance, error)
	// CreateInstance creates one instance and returns it as the vendor first
	// reports it (usually PROVISIONING), with AdminPass when the vendor
	// returns one. It must not retry a request that may have reached the
	// vendor.
	CreateInstance(ctx context.Context, req *CreateInstanceRequest) (*Instance, error)
	// DeleteInstance starts deleting; CodeNotFound when it does not exist.
	DeleteInstance(ctx context.Context, id string) error

	// StartInstance, StopInstance, RebootInstance and ResizeInstance start
	// the action and return once the vendor accepted it. CodeNotFound for an
	// unknown instance, CodeFailedPrecondition when the instance's state
	// does not allow the action.
	StartInstance(ctx context.Context, id string) error
	StopInstance(ctx context.Context, id string) error
	RebootInstance(ctx context.Context, id string, hard bool) error
	ResizeInstance(ctx context.Context, id, flavorID string) error

	// ListFlavors returns every flavor (the portable layer pages).
	ListFlavors(ctx context.Context, filter FlavorFilter) ([]Flavor, error)
	// GetFlavor returns one flavor; CodeNotFound when it does not exist.
	GetFlavor(ctx context.Context, id string) (*Flavor, error)
	// ListZones returns the availability zones.
	ListZones(ctx context.Context) ([]Zone, error)

	// Close releases idle connections and background work.
	Close() error
}

// InstanceRenamer is implemented by dialects that can rename an instance.
type InstanceRenamer interface {
	RenameInstance(ctx context.Context, id, name string) (*Instance, error)
}

// ResizeConfirmer is implemented by dialects whose resize waits in
// VERIFY_RESIZE for a confirm or revert.
type ResizeConfirmer interface {
	ConfirmResize(ctx context.Context, id string) error
	RevertResize(ctx context.Context, id string) error
}

// Shelver is implemented by dialects that can shelve (offload) an instance.
type Shelver interface {
	ShelveInstance(ctx context.Context, id string) error
	UnshelveInstance(ctx context.Context, id string) error
}

// Rebuilder is implemented by dialects that can rebuild from an image.
type Rebuilder interface {
	RebuildInstance(ctx context.Context, id string, req RebuildRequest) error
}

// ImageCreator is implemented by dialects that can snapshot an instance to
// an image. It returns the new image's ID.
type ImageCreator interface {
	CreateInstanceImage(ctx context.Context, id, imageName string, metadata map[string]string) (string, error)
}

// SecurityGroupManager is implemented by dialects that can add and remove an
// instance's security groups.
type SecurityGroupManager interface {
	AddSecurityGroup(ctx context.Context, id, group string) error
	RemoveSecurityGroup(ctx context.Context, id, group string) error
}

// FloatingIPManager is implemented by dialects that can associate floating
// IPs with an instance. fixedIP may be empty (the vendor picks).
type FloatingIPManager interface {
	AddFloatingIP(ctx context.Context, id, address, fixedIP string) error
	RemoveFloatingIP(ctx context.Context, id, address string) error
}

// KeyPairManager is implemented by dialects that manage SSH key pairs (not
// every vendor API has key pair calls; those that lack them leave it out).
type KeyPairManager interface {
	// ListKeyPairs returns every key pair (the portable layer pages).
	ListKeyPairs(ctx context.Context) ([]KeyPair, error)
	// GetKeyPair returns one key pair; CodeNotFound when it does not exist.
	GetKeyPair(ctx context.Context, name string) (*KeyPair, error)
	// CreateKeyPair generates (empty PublicKey; the answer carries
	// PrivateKey) or imports a key pair. CodeAlreadyExists on a name clash.
	CreateKeyPair(ctx context.Context, req CreateKeyPairRequest) (*KeyPair, error)
	// DeleteKeyPair deletes a key pair; CodeNotFound when it does not exist.
	DeleteKeyPair(ctx context.Context, name string) error
}

// VolumeAttacher is implemented by dialects that attach block-storage
// volumes to instances.
type VolumeAttacher interface {
	// ListVolumeAttachments lists the volumes attached to an instance;
	// CodeNotFound when the instance does not exist.
	ListVolumeAttachments(ctx context.Context, instanceID string) ([]VolumeAttachment, error)
	// GetVolumeAttachment returns the attachment of volumeID to the
	// instance; CodeNotFound when either does not exist or they are not
	// attached.
	GetVolumeAttachment(ctx context.Context, instanceID, volumeID string) (*VolumeAttachment, error)
	// AttachVolume attaches a volume. CodeFailedPrecondition when the
	// instance's state does not allow it or the volume is in use.
	AttachVolume(ctx context.Context, instanceID, volumeID string) (*VolumeAttachment, error)
	// DetachVolume detaches a volume; CodeNotFound when not attached.
	DetachVolume(ctx context.Context, instanceID, volumeID string) error
}

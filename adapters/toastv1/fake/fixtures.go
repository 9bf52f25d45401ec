package fake

// Demo credentials: constants of the fake, not secrets. Options fields left
// empty take these.
const (
	DemoAppKey   = "ToastDemoAppKey01"
	DemoUsername = "demo@example.com"
	DemoPassword = "demo-api-password"
)

// Seeded fixtures, present in every fake server.
const (
	// Zone and Zone2 are available zones.
	Zone  = "kr-pub-a"
	Zone2 = "kr-pub-b"

	// FlavorID (m2.c2m4) and ResizeFlavorID (m2.c4m8) take a root volume
	// chosen at create; U2FlavorID has a fixed 20 GB local disk;
	// DisabledFlavorID is listed with "disabled": true and refused at create.
	FlavorID         = "9a2e6c11-5b0e-4d35-9a52-0c2f4e000001"
	ResizeFlavorID   = "9a2e6c11-5b0e-4d35-9a52-0c2f4e000002"
	ComputeFlavorID  = "9a2e6c11-5b0e-4d35-9a52-0c2f4e000003"
	MemoryFlavorID   = "9a2e6c11-5b0e-4d35-9a52-0c2f4e000004"
	U2FlavorID       = "9a2e6c11-5b0e-4d35-9a52-0c2f4e000005"
	DisabledFlavorID = "9a2e6c11-5b0e-4d35-9a52-0c2f4e000006"

	// ImageID is a Linux image (minDisk 20 GB); WindowsImageID a Windows
	// image (minDisk 50 GB, instance names of at most 12 characters).
	ImageID        = "4b8a1c2e-7d0f-4a51-8e2b-1d3c5e000001"
	WindowsImageID = "4b8a1c2e-7d0f-4a51-8e2b-1d3c5e000002"

	// NetworkID is the project's network; SubnetID its subnet
	// (192.168.0.0/24).
	NetworkID = "e1c7a3f0-22b4-4d6e-b1a9-5f8d0c000001"
	SubnetID  = "e1c7a3f0-22b4-4d6e-b1a9-5f8d0c000002"

	// VolumeID1..3 are block storage volumes free to attach (in demo mode
	// VolumeID3 is attached to DemoInstanceID1).
	VolumeID1 = "7f3d9b2a-8c4e-4f1a-b6d2-3e9a1c000001"
	VolumeID2 = "7f3d9b2a-8c4e-4f1a-b6d2-3e9a1c000002"
	VolumeID3 = "7f3d9b2a-8c4e-4f1a-b6d2-3e9a1c000003"

	// FloatingIP and FloatingIP2 are floating IPs of the project (in demo
	// mode FloatingIP2 is associated with DemoInstanceID1).
	FloatingIP  = "133.186.150.11"
	FloatingIP2 = "133.186.150.12"

	// SecurityGroup exists besides "default".
	SecurityGroup = "web"
)

// Demo data, present when Options.Demo is set.
const (
	DemoInstanceID1 = "3c6f8e21-9a7b-4c0d-8e5f-2a1b3c000001" // "web-1", ACTIVE
	DemoInstanceID2 = "3c6f8e21-9a7b-4c0d-8e5f-2a1b3c000002" // "batch-1", STOP
	DemoKeyPair     = "demo-key"
)

// VolumeIDs returns the seeded volume IDs.
func VolumeIDs() []string { return []string{VolumeID1, VolumeID2, VolumeID3} }

type flavorSeed struct {
	id, name, typ            string
	vcpus, ramMB, volumeSize int
	ephemeral                int
	public, disabled         bool
}

func seedFlavors() []flavorSeed {
	return []flavorSeed{
		{id: FlavorID, name: "m2.c2m4", typ: "general", vcpus: 2, ramMB: 4096, public: true},
		{id: ResizeFlavorID, name: "m2.c4m8", typ: "general", vcpus: 4, ramMB: 8192, public: true},
		{id: ComputeFlavorID, name: "c2.c8m8", typ: "compute", vcpus: 8, ramMB: 8192, public: true},
		{id: MemoryFlavorID, name: "r2.c4m32", typ: "memory", vcpus: 4, ramMB: 32768, public: true},
		{id: U2FlavorID, name: "u2.c2m4", typ: "general", vcpus: 2, ramMB: 4096, volumeSize: 20, public: true},
		{id: DisabledFlavorID, name: "t2.c1m1", typ: "general", vcpus: 1, ramMB: 1024, public: true, disabled: true},
	}
}

type imageSeed struct {
	id, name string
	minDisk  int
	windows  bool
}

func seedImages() map[string]imageSeed {
	return map[string]imageSeed{
		ImageID:        {id: ImageID, name: "CentOS 7.8 (2020.07.21)", minDisk: 20},
		WindowsImageID: {id: WindowsImageID, name: "Windows 2019 STD (2020.07.21)", minDisk: 50, windows: true},
	}
}

type volumeSeed struct {
	id, name, typ string
	sizeGB        int
}

func seedVolumes() map[string]*volume {
	return map[string]*volume{
		VolumeID1: {volumeSeed: volumeSeed{id: VolumeID1, name: "data-1", typ: "General SSD", sizeGB: 100}},
		VolumeID2: {volumeSeed: volumeSeed{id: VolumeID2, name: "data-2", typ: "General HDD", sizeGB: 200}},
		VolumeID3: {volumeSeed: volumeSeed{id: VolumeID3, name: "logs", typ: "General HDD", sizeGB: 50}},
	}
}

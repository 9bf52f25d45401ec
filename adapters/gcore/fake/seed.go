package fake

// Credentials, scope and seeded resource IDs. Everything here exists in
// every fake; Options.Seed adds the instances.
const (
	// DemoAPIKey is the API key the fake accepts unless Options.APIKey says
	// otherwise.
	DemoAPIKey = "7351$gcore-demo-key-f0e1d2c3b4a5968778695a4b3c2d1e0f"
	// DemoProjectID and DemoRegionID are the {project_id} and {region_id}
	// the fake serves (the contract's example values).
	DemoProjectID = 111
	DemoRegionID  = 76
	// RegionName is the instance JSON's "region".
	RegionName = "Luxembourg"

	// Flavors (ram in MiB).
	FlavorSmall    = "g1-standard-1-2"
	FlavorMedium   = "g1-standard-2-4"
	FlavorLarge    = "g1-standard-4-8"
	FlavorDisabled = "g1-gpu-8-64" // disabled: refused by create and resize

	// Images. ImageBroken's builds end with the create task in ERROR.
	ImageUbuntu = "b5b4d65d-945f-4b98-ab6f-332319c724ef"
	ImageDebian = "0f6b3c8e-7a1d-4e2b-9c5f-1d2e3f4a5b6c"
	ImageBroken = "dead0000-beef-4bad-8000-00000000e404"
	// ImageBrokenError is the create task's error text for ImageBroken.
	ImageBrokenError = "Failed to build instance: image checksum mismatch"

	// Networks, subnets and a reserved fixed IP port.
	NetworkPrivate = "6b9a4a0f-2c8e-4d0b-9a41-2b0d4c7e5f10"
	NetworkName    = "private-net"
	SubnetPrivate  = "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b"
	SubnetCIDR     = "10.20.0.0/24"
	PortReserved   = "9c1b2a3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
	PortReservedIP = "10.20.0.250"
	// ExternalNetworkName names the addresses of an "external" interface.
	ExternalNetworkName = "External"

	// Security groups (IDs and names).
	SecurityGroupDefaultID = "4c3c1f2e-0f6f-4c1e-9d5a-3a2b1c0d9e8f"
	SecurityGroupDefault   = "default"
	SecurityGroupWebID     = "a7e0d3c2-1b4f-4e6a-8d9c-5b2a1f0e3d4c"
	SecurityGroupWeb       = "web"

	// KeyPair is the one SSH key the fake knows (ssh_key_name).
	KeyPair = "demo-key"

	// Seeded instances (Options.Seed).
	InstanceWeb = "d4a6a0bb-2b7c-4c44-9f1e-0a1b2c3d4e01"
	InstanceDB  = "d4a6a0bb-2b7c-4c44-9f1e-0a1b2c3d4e02"
)

type flavorSeed struct {
	id, name   string
	vcpus, ram int
	disk       int // 0: the field is absent, as on most Gcore flavors
	disabled   bool
}

func seedFlavors() []flavorSeed {
	return []flavorSeed{
		{id: FlavorSmall, name: FlavorSmall, vcpus: 1, ram: 2048},
		{id: FlavorMedium, name: FlavorMedium, vcpus: 2, ram: 4096},
		{id: FlavorLarge, name: FlavorLarge, vcpus: 4, ram: 8192, disk: 0},
		{id: FlavorDisabled, name: FlavorDisabled, vcpus: 8, ram: 65536, disabled: true},
	}
}

type imageSeed struct {
	id, name  string
	minDiskGB int
}

func seedImages() map[string]imageSeed {
	return map[string]imageSeed{
		ImageUbuntu: {ImageUbuntu, "ubuntu-24.04-x64", 5},
		ImageDebian: {ImageDebian, "debian-12-x64", 3},
		ImageBroken: {ImageBroken, "broken-image", 1},
	}
}

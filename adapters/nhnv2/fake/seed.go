package fake

import (
	"fmt"
	"net/netip"
	"time"
)

// Demo credentials. They are constants of the fake, not secrets.
const (
	DemoTenantID = "6cdebe3eb0094910bc41f1d42ebe4cb7" // the guide's example tenant
	DemoUsername = "demo@example.com"
	DemoPassword = "nhn-demo-password"
)

// Seeded flavors. The x1 IDs and names are the guide's examples; u2 flavors
// use local disks (no block_device_mapping_v2 needed), the others need a
// volume-backed root disk.
const (
	FlavorU2C1M2     = "d1f4a8c2-0b3e-4c5d-9e6f-7a8b9c0d1e21" // u2.c1m2, local 20 GB disk
	FlavorU2C2M4     = "d1f4a8c2-0b3e-4c5d-9e6f-7a8b9c0d1e22" // u2.c2m4, local 40 GB disk
	FlavorM2C1M2     = "e2a5b9d3-1c4f-4d6e-8f70-8b9c0d1e2f31" // m2.c1m2
	FlavorM2C2M4     = "e2a5b9d3-1c4f-4d6e-8f70-8b9c0d1e2f32" // m2.c2m4
	FlavorX1C32M256  = "97604802-a090-43fa-a5ce-c7cfd737fbba" // x1.c32m256 (guide)
	FlavorX1C32M128  = "31fa632d-aeec-4f12-8a57-ce9d146228e5" // x1.c32m128 (guide)
	ImageUbuntu      = "9956f822-29c9-4f81-9410-0c392d9c8c24" // the guide's create example
	ImageWindows     = "8b9f8d47-b89b-45af-b1d6-3f7ce7e06a11" // the guide's detail example
	NetworkVPC2      = "1c4c7a26-9c8d-4bb6-a3a3-5c3c1b0a7e01" // network "vpc2", 172.16.0.0/24
	SubnetVPC2       = "b83863ff-0355-4c73-8c10-0bdf66a69aab" // the guide's create example
	NetworkDB        = "1c4c7a26-9c8d-4bb6-a3a3-5c3c1b0a7e02" // network "vpc-db", 192.168.10.0/24
	SubnetDB         = "5e2f3a4b-6c7d-4e8f-9a0b-1c2d3e4f5a6b"
	PortFree         = "7d3e2c1b-0a9f-4e8d-b7c6-a5b4c3d2e1f0" // unbound port on vpc2, 172.16.0.200
	ZoneA            = "kr-pub-a"
	ZoneB            = "kr-pub-b"
	SecurityGroupWeb = "web"        // besides "default"
	KeyPairName      = "access-key" // the guide's example key_name
	// VolumeA..VolumeD are free volumes for attach (attaching any other ID
	// answers 404 itemNotFound).
	VolumeA = "a07f71dc-8151-4e7d-a0cc-cd24a3f11113" // the guide's attach example
	VolumeB = "227cc671-f30b-4488-96fd-7d0bf13648d8"
	VolumeC = "90712f4f-2faa-4e4f-8eb1-9313a8595571"
	VolumeD = "90712f4f-2faa-4e4f-8eb1-9313a8595572"
	// Demo instances (Options.SeedInstances).
	InstanceWebServer = "aaf2778b-ea03-4ccc-8b1b-92f4b686c3ec" // "Web-Server", ACTIVE (guide)
	InstanceDBMaster  = "3a005d5b-63cf-4493-bfc6-49db990b5b50" // "DB-Master", SHUTOFF
	InstanceBatch     = "4b293d31-ebd5-4a7f-be03-874b90021e54" // "batch-u2", ACTIVE, u2 flavor
)

// FreeVolumeIDs returns the seeded volumes free to attach (a new slice on
// each call: the package keeps no mutable globals).
func FreeVolumeIDs() []string { return []string{VolumeA, VolumeB, VolumeC, VolumeD} }

// KeyPairPublicKey is the public key of the seeded key pair.
const KeyPairPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHVcTLklbKfNxKz9xs/u2oSQF+W5+VFOmRkb1n4LDUJ2 demo@computegw"

type flavor struct {
	ID, Name   string
	VCPUs, RAM int
	Disk       int
	Ephemeral  int
	Type       string // extra_specs.flavor_type
}

func (f *flavor) isU2() bool { return len(f.Name) > 3 && f.Name[:3] == "u2." }

type network struct {
	ID, Name, SubnetID string
	Prefix             netip.Prefix
}

type port struct {
	ID, NetworkID, IP, MAC string
	BoundTo                string
}

type volume struct {
	ID         string
	Name       string // Cinder display name ("" for root volumes)
	SizeGB     int
	AttachedTo string
	Device     string
	Root       bool // created for a server's block_device_mapping_v2
	DeleteWith bool // delete_on_termination
}

type keypair struct {
	ID          int
	Name        string
	PublicKey   string
	Fingerprint string
	Created     time.Time
}

func (s *Server) seed() {
	s.flavors = []*flavor{
		{ID: FlavorU2C1M2, Name: "u2.c1m2", VCPUs: 1, RAM: 2048, Disk: 20, Type: "general"},
		{ID: FlavorU2C2M4, Name: "u2.c2m4", VCPUs: 2, RAM: 4096, Disk: 40, Type: "general"},
		{ID: FlavorM2C1M2, Name: "m2.c1m2", VCPUs: 1, RAM: 2048, Disk: 0, Type: "general"},
		{ID: FlavorM2C2M4, Name: "m2.c2m4", VCPUs: 2, RAM: 4096, Disk: 0, Type: "general"},
		{ID: FlavorX1C32M256, Name: "x1.c32m256", VCPUs: 32, RAM: 262144, Disk: 0, Type: "performance"},
		{ID: FlavorX1C32M128, Name: "x1.c32m128", VCPUs: 32, RAM: 131072, Disk: 0, Type: "performance"},
	}
	s.images[ImageUbuntu] = "Ubuntu Server 22.04 LTS (2024.01.16)"
	s.images[ImageWindows] = "Windows 2012 R2 STD (2020.02.18) EN"
	s.networks = []*network{
		{ID: NetworkVPC2, Name: "vpc2", SubnetID: SubnetVPC2, Prefix: netip.MustParsePrefix("172.16.0.0/24")},
		{ID: NetworkDB, Name: "vpc-db", SubnetID: SubnetDB, Prefix: netip.MustParsePrefix("192.168.10.0/24")},
	}
	s.ports[PortFree] = &port{ID: PortFree, NetworkID: NetworkVPC2, IP: "172.16.0.200", MAC: "fa:16:3e:00:02:00"}
	s.usedIPs["172.16.0.200"] = true
	s.secGroups["default"] = true
	s.secGroups[SecurityGroupWeb] = true
	s.secGroups["db"] = true
	for i, id := range FreeVolumeIDs() {
		s.volumes[id] = &volume{ID: id, Name: fmt.Sprintf("data-%d", i+1), SizeGB: 10 * (i + 1)}
	}
	now := s.opt.Now().UTC()
	s.keypairSeq = 51 // the guide's example key pair ID
	s.keypairs[KeyPairName] = &keypair{
		ID: s.keypairSeq, Name: KeyPairName, PublicKey: KeyPairPublicKey,
		Fingerprint: fingerprint(KeyPairPublicKey), Created: now.Add(-72 * time.Hour),
	}
	if !s.opt.SeedInstances {
		return
	}
	web := s.newServer(InstanceWebServer, "Web-Server", ImageWindows, FlavorM2C2M4, ZoneB, KeyPairName,
		[]string{"default"}, map[string]string{"os_type": "Windows", "description": "Windows 2012 R2 STD (2020.02.18)"},
		now.Add(-48*time.Hour))
	s.attachNIC(web, s.networks[0], "172.16.0.40", "fa:16:3e:54:a7:64")
	web.Floating = "133.186.150.20"
	s.addRootVolume(web, "90712f4f-2faa-4e4f-8eb1-9313a8595570", true)
	s.volumes["90712f4f-2faa-4e4f-8eb1-9313a8595570"].SizeGB = 50
	web.Status, web.TaskState, web.PowerState, web.Launched = "ACTIVE", "", 1, now.Add(-48*time.Hour)

	db := s.newServer(InstanceDBMaster, "DB-Master", ImageUbuntu, FlavorM2C1M2, ZoneA, KeyPairName,
		[]string{"default", "db"}, map[string]string{"role": "database"}, now.Add(-24*time.Hour))
	s.attachNIC(db, s.networks[1], "192.168.10.11", "fa:16:3e:11:22:33")
	s.addRootVolume(db, "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d", true)
	s.volumes["5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"].SizeGB = 50
	db.Status, db.TaskState, db.PowerState, db.Launched = "SHUTOFF", "", 4, now.Add(-24*time.Hour)

	batch := s.newServer(InstanceBatch, "batch-u2", ImageUbuntu, FlavorU2C1M2, ZoneA, KeyPairName,
		[]string{"default"}, nil, now.Add(-2*time.Hour))
	s.attachNIC(batch, s.networks[0], "172.16.0.41", "fa:16:3e:54:a7:65")
	batch.Status, batch.TaskState, batch.PowerState, batch.Launched = "ACTIVE", "", 1, now.Add(-2*time.Hour)
}

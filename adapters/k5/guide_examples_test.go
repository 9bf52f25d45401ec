package k5

// Response examples copied from the K5 IaaS API Reference (Foundation
// Service) v1.12, Part 1, with the PDF's line breaks inside strings joined.

// 1.1.6.2 List details for servers (with availability zone).
const guideListServersDetail = `{
  "servers": [
    {
      "OS-EXT-AZ:availability_zone": "nova",
      "accessIPv4": "",
      "accessIPv6": "",
      "addresses": {"private": [{"addr": "192.168.0.3", "version": 4}]},
      "created": "2013-01-30T13:26:51Z",
      "flavor": {"id": "1", "links": [{"href": "http://openstack.example.com/openstack/flavors/1", "rel": "bookmark"}]},
      "hostId": "60c988a84401fa15888a32833e5848e9caa99a45778310ba7b363165",
      "id": "3dbf5b00-dabc-41ff-b6ab-4409568fae9d",
      "image": {"id": "70a599e0-31e7-49b7-b260-868f441e862b", "links": [{"href": "http://openstack.example.com/openstack/images/70a599e0-31e7-49b7-b260-868f441e862b", "rel": "bookmark"}]},
      "links": [
        {"href": "http://openstack.example.com/v2/openstack/servers/3dbf5b00-dabc-41ff-b6ab-4409568fae9d", "rel": "self"},
        {"href": "http://openstack.example.com/openstack/servers/3dbf5b00-dabc-41ff-b6ab-4409568fae9d", "rel": "bookmark"}
      ],
      "metadata": {"My Server Name": "Apache1"},
      "name": "new-server-test",
      "progress": 0,
      "status": "ACTIVE",
      "tenant_id": "openstack",
      "updated": "2013-01-30T13:26:52Z",
      "user_id": "fake"
    }
  ]
}`

// 1.2.6.22 Show server extended status.
const guideShowServerExtendedStatus = `{
  "server": {
    "OS-EXT-STS:power_state": 1,
    "OS-EXT-STS:task_state": null,
    "OS-EXT-STS:vm_state": "active",
    "accessIPv4": "",
    "accessIPv6": "",
    "addresses": {"private": [{"addr": "192.168.0.3", "version": 4}]},
    "created": "2013-02-07T19:35:09Z",
    "flavor": {"id": "1", "links": [{"href": "http://openstack.example.com/openstack/flavors/1", "rel": "bookmark"}]},
    "hostId": "570eff4776ab310707d11d181037337197086998a8b3305c90bf87c8",
    "id": "ecb5e433-fa75-4db2-af3d-a29ae8618edc",
    "image": {"id": "70a599e0-31e7-49b7-b260-868f441e862b", "links": [{"href": "http://openstack.example.com/openstack/images/70a599e0-31e7-49b7-b260-868f441e862b", "rel": "bookmark"}]},
    "links": [
      {"href": "http://openstack.example.com/v2/openstack/servers/ecb5e433-fa75-4db2-af3d-a29ae8618edc", "rel": "self"},
      {"href": "http://openstack.example.com/openstack/servers/ecb5e433-fa75-4db2-af3d-a29ae8618edc", "rel": "bookmark"}
    ],
    "metadata": {"My Server Name": "Apache1"},
    "name": "new-server-test",
    "progress": 0,
    "status": "ACTIVE",
    "tenant_id": "openstack",
    "updated": "2013-02-07T19:35:10Z",
    "user_id": "fake"
  }
}`

// 1.2.6.36 Show server information (OS-EXT-IPS-MAC:mac_addr).
const guideShowServerMAC = `{
  "server": {
    "accessIPv4": "",
    "accessIPv6": "",
    "addresses": {"private": [{"addr": "192.168.0.3", "version": 4, "OS-EXT-IPS-MAC:mac_addr": "00:0c:29:e1:42:90"}]},
    "created": "2013-02-07T18:46:28Z",
    "flavor": {"id": "1", "links": [{"href": "http://openstack.example.com/openstack/flavors/1", "rel": "bookmark"}]},
    "hostId": "4e2003eddbfdb1280c2618d04090bcdd6773203b8da8347af0b2723d",
    "id": "dc7281f9-ee47-40b9-9950-9f73e7961caa",
    "image": {"id": "70a599e0-31e7-49b7-b260-868f441e862b", "links": [{"href": "http://openstack.example.com/openstack/images/70a599e0-31e7-49b7-b260-868f441e862b", "rel": "bookmark"}]},
    "links": [
      {"href": "http://openstack.example.com/v2/openstack/servers/dc7281f9-ee47-40b9-9950-9f73e7961caa", "rel": "self"},
      {"href": "http://openstack.example.com/openstack/servers/dc7281f9-ee47-40b9-9950-9f73e7961caa", "rel": "bookmark"}
    ],
    "metadata": {"My Server Name": "Apache1"},
    "name": "new-server-test",
    "progress": 0,
    "status": "ACTIVE",
    "tenant_id": "openstack",
    "updated": "2013-02-07T18:46:29Z",
    "user_id": "fake"
  }
}`

// 1.2.6.2 Create server: JSON response.
const guideCreateServerResponse = `{
  "server": {
    "security_groups": [{"name": "default"}],
    "OS-DCF:diskConfig": "MANUAL",
    "id": "c6d04159-9bfc-4ab8-823d-0d5ca2abe152",
    "links": [
      {"href": "http://166.78.46.130:8774/v2/4fd44f30292945e481c7b8a0c8908869/servers/c6d04159-9bfc-4ab8-823d-0d5ca2abe152", "rel": "self"},
      {"href": "http://166.78.46.130:8774/4fd44f30292945e481c7b8a0c8908869/servers/c6d04159-9bfc-4ab8-823d-0d5ca2abe152", "rel": "bookmark"}
    ],
    "adminPass": "aabbccddeeff"
  }
}`

// 1.2.6.4 Update server: name response.
const guideUpdateServerResponse = `{
  "server": {
    "id": "52415800-8b69-11e0-9b19-734f565bc83b",
    "tenant_id": "1234",
    "user_id": "5678",
    "name": "new-server-test",
    "created": "2010-11-11T12:00:00Z",
    "updated": "2010-11-12T12:44:44Z",
    "hostId": "e4d909c290d0fb1ca068ffaddf22cbd0",
    "accessIPv4": "67.23.10.138",
    "accessIPv6": "::babe:67.23.10.138",
    "progress": 0,
    "status": "ACTIVE",
    "image": {"id": "52415800-8b69-11e0-9b19-734f6f006e54", "name": "CentOS 5.2", "links": [
      {"rel": "self", "href": "http://servers.api.openstack.org/v2/1234/images/52415800-8b69-11e0-9b19-734f6f006e54"},
      {"rel": "bookmark", "href": "http://servers.api.openstack.org/1234/images/52415800-8b69-11e0-9b19-734f6f006e54"}]},
    "flavor": {"id": "52415800-8b69-11e0-9b19-734f1195ff37", "name": "256 MB Server", "links": [
      {"rel": "self", "href": "http://servers.api.openstack.org/v2/1234/flavors/52415800-8b69-11e0-9b19-734f1195ff37"},
      {"rel": "bookmark", "href": "http://servers.api.openstack.org/1234/flavors/52415800-8b69-11e0-9b19-734f1195ff37"}]},
    "metadata": {"My Server Name": "Apache1"},
    "addresses": {
      "public": [{"version": 4, "addr": "67.23.10.138"}, {"version": 6, "addr": "::babe:67.23.10.138"}],
      "private": [{"version": 4, "addr": "10.176.42.19"}, {"version": 6, "addr": "::babe:10.176.42.19"}]
    },
    "links": [
      {"rel": "self", "href": "http://servers.api.openstack.org/v2/1234/servers/52415800-8b69-11e0-9b19-734f565bc83b"},
      {"rel": "bookmark", "href": "http://servers.api.openstack.org/1234/servers/52415800-8b69-11e0-9b19-734f565bc83b"}
    ]
  }
}`

// 1.2.6.7 Rebuild server: JSON response.
const guideRebuildResponse = `{
  "server": {
    "accessIPv4": "1.2.3.4",
    "accessIPv6": "fe80::100",
    "addresses": {"private": [{"addr": "192.168.0.3", "version": 4}]},
    "adminPass": "seekr3t",
    "created": "2012-09-12T17:20:36Z",
    "flavor": {"id": "1", "links": [{"href": "http://openstack.example.com/openstack/flavors/1", "rel": "bookmark"}]},
    "hostId": "1e3da81662354c25560b7e5ea6d8123031f67168b6992f20bb84df69",
    "id": "075e40fe-9f03-4652-ba8e-5f8e2547899a",
    "image": {"id": "70a599e0-31e7-49b7-b260-868f441e862b", "links": [{"href": "http://openstack.example.com/openstack/images/70a599e0-31e7-49b7-b260-868f441e862b", "rel": "bookmark"}]},
    "links": [
      {"href": "http://openstack.example.com/v2/openstack/servers/075e40fe-9f03-4652-ba8e-5f8e2547899a", "rel": "self"},
      {"href": "http://openstack.example.com/openstack/servers/075e40fe-9f03-4652-ba8e-5f8e2547899a", "rel": "bookmark"}
    ],
    "metadata": {"meta var": "meta val"},
    "name": "foobar",
    "progress": 0,
    "status": "ACTIVE",
    "tenant_id": "openstack",
    "updated": "2012-09-12T17:20:37Z",
    "user_id": "fake"
  }
}`

// 1.2.6.12 Get image details.
const guideGetImage = `{
  "image": {
    "created": "2011-01-01T01:02:03Z",
    "id": "70a599e0-31e7-49b7-b260-868f441e862b",
    "links": [
      {"href": "http://openstack.example.com/v2/openstack/images/70a599e0-31e7-49b7-b260-868f441e862b", "rel": "self"},
      {"href": "http://openstack.example.com/openstack/images/70a599e0-31e7-49b7-b260-868f441e862b", "rel": "bookmark"},
      {"href": "http://glance.openstack.example.com/openstack/images/70a599e0-31e7-49b7-b260-868f441e862b", "rel": "alternate", "type": "application/vnd.openstack.image"}
    ],
    "metadata": {"architecture": "x86_64", "auto_disk_config": "True", "kernel_id": "nokernel", "ramdisk_id": "nokernel"},
    "minDisk": 0,
    "minRam": 0,
    "name": "fakeimage7",
    "progress": 100,
    "status": "ACTIVE",
    "updated": "2011-01-01T01:02:03Z"
  }
}`

// 1.2.6.40 Attach volume: JSON response.
const guideAttachVolumeResponse = `{
  "volumeAttachment": {
    "device": "/dev/vdd",
    "id": "a26887c6-c47b-4654-abb5-dfadf7d3f803",
    "serverId": "0c92f3f6-c253-4c9b-bd43-e880a8d2eb0a",
    "volumeId": "a26887c6-c47b-4654-abb5-dfadf7d3f803"
  }
}`

// 1.2.6.41 List volume attachments.
const guideListVolumeAttachments = `{
  "volumeAttachments": [
    {"device": "/dev/sdd", "id": "a26887c6-c47b-4654-abb5-dfadf7d3f803", "serverId": "4d8c3732-a248-40ed-bebc-539a6ffd25c0", "volumeId": "a26887c6-c47b-4654-abb5-dfadf7d3f803"},
    {"device": "/dev/sdc", "id": "a26887c6-c47b-4654-abb5-dfadf7d3f804", "serverId": "4d8c3732-a248-40ed-bebc-539a6ffd25c0", "volumeId": "a26887c6-c47b-4654-abb5-dfadf7d3f804"}
  ]
}`

// 1.2.6.42 Show volume attachment details.
const guideShowVolumeAttachment = `{
  "volumeAttachment": {
    "device": "/dev/sda1",
    "serverId": "ed61f75a-ccf4-4b58-b9a0-5a51a3f51aee",
    "id": "d3b6498f-46f0-48b8-8209-7633ba62a3da",
    "volumeId": "d3b6498f-46f0-48b8-8209-7633ba62a3da",
    "availability_zone": "jp-east-1b"
  }
}`

// 1.2.6.46 List flavors with access type.
const guideListFlavors = `{
  "flavors": [
    {"disk": 1, "id": "1", "links": [{"href": "http://openstack.example.com/v2/openstack/flavors/1", "rel": "self"}, {"href": "http://openstack.example.com/openstack/flavors/1", "rel": "bookmark"}], "name": "m1.tiny", "os-flavor-access:is_public": true, "ram": 512, "vcpus": 1},
    {"disk": 20, "id": "2", "links": [{"href": "http://openstack.example.com/v2/openstack/flavors/2", "rel": "self"}, {"href": "http://openstack.example.com/openstack/flavors/2", "rel": "bookmark"}], "name": "m1.small", "os-flavor-access:is_public": true, "ram": 2048, "vcpus": 1},
    {"disk": 40, "id": "3", "links": [{"href": "http://openstack.example.com/v2/openstack/flavors/3", "rel": "self"}, {"href": "http://openstack.example.com/openstack/flavors/3", "rel": "bookmark"}], "name": "m1.medium", "os-flavor-access:is_public": true, "ram": 4096, "vcpus": 2},
    {"disk": 80, "id": "4", "links": [{"href": "http://openstack.example.com/v2/openstack/flavors/4", "rel": "self"}, {"href": "http://openstack.example.com/openstack/flavors/4", "rel": "bookmark"}], "name": "m1.large", "os-flavor-access:is_public": true, "ram": 8192, "vcpus": 4},
    {"disk": 160, "id": "5", "links": [{"href": "http://openstack.example.com/v2/openstack/flavors/5", "rel": "self"}, {"href": "http://openstack.example.com/openstack/flavors/5", "rel": "bookmark"}], "name": "m1.xlarge", "os-flavor-access:is_public": true, "ram": 16384, "vcpus": 8}
  ]
}`

// 1.2.6.47 Show flavor access type.
const guideShowFlavor = `{
  "flavor": {
    "disk": 1,
    "id": "1",
    "links": [{"href": "http://openstack.example.com/v2/openstack/flavors/1", "rel": "self"}, {"href": "http://openstack.example.com/openstack/flavors/1", "rel": "bookmark"}],
    "name": "m1.tiny",
    "os-flavor-access:is_public": true,
    "ram": 512,
    "vcpus": 1
  }
}`

// 1.8.6.1 List key pairs.
const guideListKeyPairs = `{
  "keypairs": [
    {
      "keypair": {
        "fingerprint": "15:b0:f8:b3:f9:48:63:71:cf:7b:5b:38:6d:44:2d:4a",
        "name": "keypair-601a2305-4f25-41ed-89c6-2a966fc8027a",
        "public_key": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC+Eo/RZRngaGTkFs7I62ZjsIlO79KklKbMXi8F+KITD4bVQHHn+kV+4gRgkgCRbdoDqoGfpaDFs877DYX9n4z6FrAIZ4PES8TNKhatifpn9NdQYWA+IkU8CuvlEKGuFpKRi/k7JLos/gHi2hy7QUwgtRvcefvD/vgQZOVw/mGR9Q== Generated by Nova\n"
      }
    }
  ]
}`

// 1.8.6.2 Create or import key pair: request and response.
const guideImportPublicKey = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDx8nkQv/zgGgB4rMYmIf+6A4l6Rr+o/6lHBQdW5aYd44bd8JttDCE/F/pNRr0lRE+PiqSPO8nDPHw0010JeMH9gYgnnFlyY3/OcJ02RhIPyyxYpv9FhY+2YiUkpwFOcLImyrxEsYXpD/0d3ac30bNH6Sw9JD9UZHYcpSxsIbECHw== Generated by Nova"

const guideCreateKeyPairResponse = `{
  "keypair": {
    "fingerprint": "1e:2c:9b:56:79:4b:45:77:f9:ca:7a:98:2c:b0:d5:3c",
    "name": "keypair-dab428fe-6186-4a14-b3de-92131f76cd39",
    "public_key": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDx8nkQv/zgGgB4rMYmIf+6A4l6Rr+o/6lHBQdW5aYd44bd8JttDCE/F/pNRr0lRE+PiqSPO8nDPHw0010JeMH9gYgnnFlyY3/OcJ02RhIPyyxYpv9FhY+2YiUkpwFOcLImyrxEsYXpD/0d3ac30bNH6Sw9JD9UZHYcpSxsIbECHw== Generated by Nova",
    "user_id": "fake"
  }
}`

// 1.8.6.4 Show key pair information.
const guideShowKeyPair = `{
  "keypair": {
    "public_key": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDCSLxfzqB+e5yHdUSXvbxKkajj1fuV+GARDseqPjfkKJ6no5echpin7dJp0FLXMJKxJZE3WWIRu25CQrJntmi7no27RkDfAGaTFbjz3DWY4A1HLeKAB5tFTwYQ1r7CjMdoC/DY7UvKaawLhH4Wvh5vMmXgF7AFzdkI28urwo+Q== nova@use03147k5-eth0\n",
    "name": "hpdefault",
    "fingerprint": "8b:2f:aa:b0:b8:97:dc:c8:50:aa:d4:8e:d0:34:61:d9",
    "availability_zone": "jp-east-1a"
  }
}`

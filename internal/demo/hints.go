package demo

import (
	"fmt"
	"io"

	gcorefake "github.com/computegw/computegw/adapters/gcore/fake"
	k5fake "github.com/computegw/computegw/adapters/k5/fake"
	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	toastfake "github.com/computegw/computegw/adapters/toastv1/fake"
)

// Hint is, for one demo cloud, one flavor, image and network ID its fake
// vendor is seeded with: IDs the API itself lists (GET …/flavors, …/images,
// …/networks where the dialect has them), printed in the banner so a first
// create needs no reading of the fakes' source. An e2e test checks each
// against the API's own answers.
type Hint struct {
	Flavor, Image, Network string
	// Subnet is set where the network listing shows subnets.
	Subnet string
	// KeyPair is the seeded key pair (GET …/keyPairs).
	KeyPair string
}

// Hints are the banner's IDs per demo cloud.
var Hints = map[string]Hint{
	"nhn-demo":   {Flavor: nhnfake.FlavorU2C1M2, Image: nhnfake.ImageUbuntu, Network: nhnfake.NetworkVPC2, Subnet: nhnfake.SubnetVPC2, KeyPair: nhnfake.KeyPairName},
	"toast-demo": {Flavor: toastfake.FlavorID, Image: toastfake.ImageID, Network: toastfake.NetworkID},
	"k5-demo":    {Flavor: k5fake.FlavorS1, Image: k5fake.ImageUbuntu, Network: k5fake.NetworkA},
	// gcore creates also need bootVolume.sizeGb (e.g. 10).
	"gcore-demo": {Flavor: gcorefake.FlavorSmall, Image: gcorefake.ImageUbuntu, Network: gcorefake.NetworkPrivate},
}

// WriteHints prints the per-cloud IDs and a create that uses them.
func WriteHints(w io.Writer, httpAddr string) {
	fmt.Fprintf(w, "  IDs to create with (also listed by GET /v1/clouds/{cloud}/flavors, /images, /networks):\n")
	for _, c := range Clouds {
		h, ok := Hints[c.Name]
		if !ok {
			continue
		}
		fmt.Fprintf(w, "    %-11s flavor %s  image %s  network %s\n", c.Name, h.Flavor, h.Image, h.Network)
	}
	h := Hints["nhn-demo"]
	fmt.Fprintf(w, "\n  curl -X POST 'http://%s/v1/clouds/nhn-demo/instances?request_id=%s' \\\n"+
		"    -d '{\"displayName\":\"web-1\",\"flavor\":\"%s\",\"image\":\"%s\",\"networks\":[{\"subnet\":\"%s\"}],\"keyPair\":\"%s\"}'\n\n",
		httpAddr, "3f1c5a9e-7b2d-4c8e-9a61-2d4f8b0c1e57", h.Flavor, h.Image, h.Subnet, h.KeyPair)
}

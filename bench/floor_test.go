package bench

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/backendhttp"
)

// vendorServer is a server as the fake NHN answers it, decoded in one
// typed pass: what the floor needs and nothing else.
type vendorServer struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Status    string  `json:"status"`
	TaskState *string `json:"OS-EXT-STS:task_state"`
	Flavor    struct {
		ID string `json:"id"`
	} `json:"flavor"`
	Image struct {
		ID string `json:"id"`
	} `json:"image"`
	Zone      string    `json:"OS-EXT-AZ:availability_zone"`
	KeyName   string    `json:"key_name"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	Launched  string    `json:"OS-SRV-USG:launched_at"`
	Addresses map[string][]struct {
		Addr    string `json:"addr"`
		Version int    `json:"version"`
		Type    string `json:"OS-EXT-IPS:type"`
		MAC     string `json:"OS-EXT-IPS-MAC:mac_addr"`
	} `json:"addresses"`
	Metadata       map[string]string `json:"metadata"`
	SecurityGroups []struct {
		Name string `json:"name"`
	} `json:"security_groups"`
	Volumes []struct {
		ID string `json:"id"`
	} `json:"os-extended-volumes:volumes_attached"`
	Ephemeral int `json:"NHN-EXT-ATTR:ephemeral_disk_size"`
}

type vendorFlavor struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	VCPUs     int    `json:"vcpus"`
	RAM       int    `json:"ram"`
	Disk      int    `json:"disk"`
	Ephemeral int    `json:"OS-FLV-EXT-DATA:ephemeral"`
	IsPublic  bool   `json:"os-flavor-access:is_public"`
}

type vendorPage struct {
	Servers []vendorServer `json:"servers"`
	Links   []struct {
		Rel string `json:"rel"`
	} `json:"servers_links"`
}

func (p *vendorPage) more() bool {
	for _, l := range p.Links {
		if l.Rel == "next" {
			return true
		}
	}
	return false
}

// floor is the composed floor: a bare gRPC handler making the vendor call
// with a typed decode and a hand conversion, with the flavor list held in
// memory (as the gateway's warm flavor cache holds it). No validation,
// logging, paging tokens, deadlines or error model.
type floor struct {
	pb.UnimplementedComputeServiceServer
	vendor, token string
	http          *http.Client
	flavors       []vendorFlavor
	byID          map[string]*vendorFlavor
}

func newFloor(tb testing.TB, vendor, token string) *floor {
	f := &floor{vendor: vendor, token: token, http: backendhttp.NewClient(), byID: map[string]*vendorFlavor{}}
	var body struct {
		Flavors []vendorFlavor `json:"flavors"`
	}
	if err := vendorDo(f.http, http.MethodGet, vendor+"/flavors/detail", token, nil, &body); err != nil {
		tb.Fatal(err)
	}
	f.flavors = body.Flavors
	for i := range f.flavors {
		f.byID[f.flavors[i].ID] = &f.flavors[i]
	}
	return f
}

var floorStates = map[string]pb.Instance_State{
	"BUILD": pb.Instance_PROVISIONING, "ACTIVE": pb.Instance_RUNNING, "SHUTOFF": pb.Instance_STOPPED,
	"REBOOT": pb.Instance_REBOOTING, "ERROR": pb.Instance_ERROR,
}

func (f *floor) convert(s *vendorServer) *pb.Instance {
	out := &pb.Instance{
		Name: "clouds/nhn/instances/" + s.ID, DisplayName: s.Name, State: floorStates[s.Status],
		VendorStatus: s.Status, Flavor: s.Flavor.ID, Image: s.Image.ID, Zone: s.Zone, KeyPair: s.KeyName,
		Metadata: s.Metadata, CreateTime: timestamppb.New(s.Created), UpdateTime: timestamppb.New(s.Updated),
	}
	if s.TaskState != nil {
		out.VendorTaskState = *s.TaskState
	}
	if t, err := time.Parse("2006-01-02T15:04:05.000000", s.Launched); err == nil {
		out.LaunchTime = timestamppb.New(t)
	}
	nets := make([]string, 0, len(s.Addresses))
	for n := range s.Addresses {
		nets = append(nets, n)
	}
	sort.Strings(nets)
	for _, n := range nets {
		for _, a := range s.Addresses[n] {
			t := pb.Address_FIXED
			if a.Type == "floating" {
				t = pb.Address_FLOATING
			}
			out.Addresses = append(out.Addresses, &pb.Address{Network: n, Address: a.Addr, Version: int32(a.Version), Type: t, MacAddress: a.MAC})
		}
	}
	for _, g := range s.SecurityGroups {
		out.SecurityGroups = append(out.SecurityGroups, g.Name)
	}
	for _, v := range s.Volumes {
		out.Volumes = append(out.Volumes, v.ID)
	}
	if fl := f.byID[s.Flavor.ID]; fl != nil {
		out.FlavorDetails = &pb.InstanceFlavor{DisplayName: fl.Name, Vcpus: int32(fl.VCPUs), RamMb: int32(fl.RAM),
			DiskGb: int32(fl.Disk), EphemeralGb: int32(s.Ephemeral)}
	}
	return out
}

func (f *floor) GetInstance(ctx context.Context, req *pb.GetInstanceRequest) (*pb.Instance, error) {
	var body struct {
		Server vendorServer `json:"server"`
	}
	id := req.GetName()[len("clouds/nhn/instances/"):]
	if err := vendorDo(f.http, http.MethodGet, f.vendor+"/servers/"+id, f.token, nil, &body); err != nil {
		return nil, err
	}
	return f.convert(&body.Server), nil
}

// listVendor reads consecutive vendor pages until size servers are in.
func listVendor(c *http.Client, vendor, token string, size int, each func(*vendorServer)) error {
	marker, have := "", 0
	for have < size {
		q := url.Values{"limit": {strconv.Itoa(size - have)}}
		if marker != "" {
			q.Set("marker", marker)
		}
		var page vendorPage
		if err := vendorDo(c, http.MethodGet, vendor+"/servers/detail?"+q.Encode(), token, nil, &page); err != nil {
			return err
		}
		for i := range page.Servers {
			each(&page.Servers[i])
		}
		have += len(page.Servers)
		if !page.more() || len(page.Servers) == 0 {
			break
		}
		marker = page.Servers[len(page.Servers)-1].ID
	}
	return nil
}

func (f *floor) ListInstances(ctx context.Context, req *pb.ListInstancesRequest) (*pb.ListInstancesResponse, error) {
	out := &pb.ListInstancesResponse{Instances: make([]*pb.Instance, 0, req.GetPageSize())}
	err := listVendor(f.http, f.vendor, f.token, int(req.GetPageSize()), func(s *vendorServer) {
		out.Instances = append(out.Instances, f.convert(s))
	})
	return out, err
}

func (f *floor) ListFlavors(ctx context.Context, req *pb.ListFlavorsRequest) (*pb.ListFlavorsResponse, error) {
	out := &pb.ListFlavorsResponse{Flavors: make([]*pb.Flavor, 0, len(f.flavors))}
	for i := range f.flavors {
		fl := &f.flavors[i]
		out.Flavors = append(out.Flavors, &pb.Flavor{Name: "clouds/nhn/flavors/" + fl.ID, DisplayName: fl.Name,
			Vcpus: int32(fl.VCPUs), RamMb: int32(fl.RAM), DiskGb: int32(fl.Disk), EphemeralGb: int32(fl.Ephemeral), IsPublic: fl.IsPublic})
	}
	return out, nil
}

// CreateInstance is the POST and the read-back (the flavor is known).
func (f *floor) CreateInstance(ctx context.Context, req *pb.CreateInstanceRequest) (*pb.Instance, error) {
	var created struct {
		Server struct {
			ID string `json:"id"`
		} `json:"server"`
	}
	if err := vendorDo(f.http, http.MethodPost, f.vendor+"/servers", f.token, createBody(req.GetInstance().GetDisplayName()), &created); err != nil {
		return nil, err
	}
	return f.GetInstance(ctx, &pb.GetInstanceRequest{Name: "clouds/nhn/instances/" + created.Server.ID})
}

package gcore

import (
	"time"

	"github.com/computegw/computegw/internal/flexjson"
)

// This file holds the JSON shapes of gcore.md. Nullable fields are plain
// strings (JSON null leaves them empty).

// flexString is a JSON string, or a number kept as its literal text (IDs
// printed without quotes); null is "" (flexjson.String).
type flexString = flexjson.String

// wireFlavorRef is the flavor inside an instance.
type wireFlavorRef struct {
	FlavorID   flexString `json:"flavor_id"`
	FlavorName string     `json:"flavor_name"`
	VCPUs      int        `json:"vcpus"`
	RAM        int        `json:"ram"` // MiB
}

type wireAddress struct {
	Addr string `json:"addr"`
	Type string `json:"type"` // fixed | floating
}

// wireInstance is gcore.md's Instance JSON, with both spellings of the
// fields older answers name differently.
type wireInstance struct {
	ID              flexString               `json:"id"`
	InstanceID      flexString               `json:"instance_id"`
	Name            string                   `json:"name"`
	InstanceName    string                   `json:"instance_name"`
	Status          string                   `json:"status"`
	VMState         string                   `json:"vm_state"`
	TaskState       string                   `json:"task_state"`
	TaskID          flexString               `json:"task_id"`
	CreatedAt       string                   `json:"created_at"`
	InstanceCreated string                   `json:"instance_created"`
	Flavor          wireFlavorRef            `json:"flavor"`
	Addresses       map[string][]wireAddress `json:"addresses"`
	SecurityGroups  []struct {
		Name string `json:"name"`
	} `json:"security_groups"`
	Metadata map[string]any `json:"metadata"`
	Volumes  []struct {
		ID                  flexString `json:"id"`
		DeleteOnTermination bool       `json:"delete_on_termination"`
	} `json:"volumes"`
	KeypairName string     `json:"keypair_name"`
	Region      string     `json:"region"`
	RegionID    flexString `json:"region_id"`
	ProjectID   flexString `json:"project_id"`
}

func (w *wireInstance) id() string {
	if w.ID != "" {
		return string(w.ID)
	}
	return string(w.InstanceID)
}

func (w *wireInstance) name() string {
	if w.Name != "" {
		return w.Name
	}
	return w.InstanceName
}

func (w *wireInstance) created() time.Time {
	if w.CreatedAt != "" {
		return parseTime(w.CreatedAt)
	}
	return parseTime(w.InstanceCreated)
}

type instanceList struct {
	Count   *int           `json:"count"`
	Results []wireInstance `json:"results"`
}

// tasksAnswer is what every asynchronous write answers.
type tasksAnswer struct {
	Tasks []flexString `json:"tasks"`
}

// wireTask is GET /v1/tasks/{id}.
type wireTask struct {
	ID               flexString `json:"id"`
	TaskType         string     `json:"task_type"`
	State            string     `json:"state"`
	Error            string     `json:"error"`
	CreatedResources struct {
		Instances []flexString `json:"instances"`
		Volumes   []flexString `json:"volumes"`
	} `json:"created_resources"`
}

// Create body (v2).

type createInterface struct {
	Type      string `json:"type"`
	NetworkID string `json:"network_id,omitempty"`
	SubnetID  string `json:"subnet_id,omitempty"`
	PortID    string `json:"port_id,omitempty"`
}

type createVolume struct {
	Source              string `json:"source"`
	ImageID             string `json:"image_id"`
	Size                int    `json:"size"`
	BootIndex           int    `json:"boot_index"`
	TypeName            string `json:"type_name,omitempty"`
	DeleteOnTermination bool   `json:"delete_on_termination"`
}

type idRef struct {
	ID string `json:"id"`
}

type createBody struct {
	Name           string            `json:"name"`
	Flavor         string            `json:"flavor"`
	Interfaces     []createInterface `json:"interfaces"`
	Volumes        []createVolume    `json:"volumes"`
	SSHKeyName     string            `json:"ssh_key_name,omitempty"`
	SecurityGroups []idRef           `json:"security_groups,omitempty"`
	UserData       string            `json:"user_data,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
}

type nameBody struct {
	Name string `json:"name"`
}

type actionBody struct {
	Action string `json:"action"`
}

type changeFlavorBody struct {
	FlavorID string `json:"flavor_id"`
}

type wireFlavor struct {
	FlavorID   flexString `json:"flavor_id"`
	FlavorName string     `json:"flavor_name"`
	VCPUs      int        `json:"vcpus"`
	RAM        int        `json:"ram"`  // MiB
	Disk       int        `json:"disk"` // GiB; often absent
	Disabled   bool       `json:"disabled"`
}

type flavorList struct {
	Results []wireFlavor `json:"results"`
}

type securityGroupList struct {
	Results []struct {
		ID   flexString `json:"id"`
		Name string     `json:"name"`
	} `json:"results"`
}

type wireSubnet struct {
	ID        flexString `json:"id"`
	NetworkID flexString `json:"network_id"`
}

// parseTime reads Gcore's ISO 8601 times: with a zone, or without one
// ("2026-11-30T10:00:00"), which is UTC (gcore.md). An empty or unreadable
// value is the zero time: one bad timestamp should not fail a listing.
var parseTime = flexjson.ParseTime

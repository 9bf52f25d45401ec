package toastv1

import (
	"time"

	"github.com/computegw/computegw/internal/flexjson"
)

// This file holds the JSON shapes of the TOAST Compute Instance API v1.0, as
// the vendor guide shows them, and the lenient scalar types its examples
// need: the guide prints numbers and booleans as strings ("count":
// "{Count}", "ram": "{RAM}", "available": "{Available}") while its tables
// call them Integer and Boolean, so both spellings are accepted.

// The lenient scalar types (flexjson): both spellings of numbers and
// booleans, IDs with or without quotes; a malformed value is an error.
type (
	flexInt    = flexjson.Int
	flexBool   = flexjson.Bool
	flexString = flexjson.String
)

// Token API.

type tokenRequest struct {
	Auth tokenAuth `json:"auth"`
}

type tokenAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type tokenResponse struct {
	Access struct {
		Token struct {
			ID       flexString `json:"id"`
			Expires  flexString `json:"expires"`
			IssuedAt flexString `json:"issued_at"`
		} `json:"token"`
	} `json:"access"`
}

// Availability zones.

type zonesResponse struct {
	Zones []struct {
		ZoneName  flexString `json:"zoneName"`
		ZoneState struct {
			Available flexBool `json:"available"`
		} `json:"zoneState"`
	} `json:"zones"`
}

// Instances.

// InstanceSummary is one row of the brief instance query
// (GET /instances): the ID, name and raw TOAST status only.
type InstanceSummary struct {
	ID     string
	Name   string
	Status string
}

type briefInstancesResponse struct {
	Instances []struct {
		ID     flexString `json:"id"`
		Name   flexString `json:"name"`
		Status flexString `json:"status"`
	} `json:"instances"`
}

type wireAddress struct {
	MACAddress        flexString `json:"macAddress"`
	IPAddress         flexString `json:"ipAddress"`
	Version           flexInt    `json:"version"`
	FloatingIPAddress flexString `json:"floatingIpAddress"`
}

type wireInstanceFlavor struct {
	ID   flexString `json:"id"`
	Name flexString `json:"name"`
	CPU  flexInt    `json:"cpu"`
	RAM  flexInt    `json:"ram"`
}

type wireVolume struct {
	ID   flexString `json:"id"`
	Name flexString `json:"name"`
	Size flexInt    `json:"size"`
	Type flexString `json:"type"`
}

type wireInstance struct {
	Addresses        []wireAddress      `json:"addresses"`
	AvailabilityZone flexString         `json:"availabilityZone"`
	Flavor           wireInstanceFlavor `json:"flavor"`
	Status           flexString         `json:"status"`
	ID               flexString         `json:"id"`
	Name             flexString         `json:"name"`
	Image            flexString         `json:"image"`
	Metadata         map[string]any     `json:"metadata"`
	KeyName          flexString         `json:"keyName"`
	Volumes          struct {
		Root struct {
			Size flexInt    `json:"size"`
			Type flexString `json:"type"`
		} `json:"root"`
		Attachments []wireVolume `json:"attachments"`
	} `json:"volumes"`
	SecurityGroups []struct {
		Name flexString `json:"name"`
	} `json:"securityGroups"`
	LaunchedAt flexString `json:"launchedAt"`
	CreatedAt  flexString `json:"createdAt"`
	UpdatedAt  flexString `json:"updatedAt"`
}

type detailInstancesResponse struct {
	Instances []wireInstance `json:"instances"`
}

type createInstanceRequest struct {
	Instance createInstanceBody `json:"instance"`
}

type createNetwork struct {
	ID       string `json:"id,omitempty"`
	SubnetID string `json:"subnetId,omitempty"`
}

type createVolume struct {
	Size int    `json:"size"`
	Type string `json:"type,omitempty"`
}

type nameRef struct {
	Name string `json:"name"`
}

type createInstanceBody struct {
	Name             string          `json:"name"`
	Image            string          `json:"image"`
	Flavor           string          `json:"flavor"`
	Networks         []createNetwork `json:"networks"`
	AvailabilityZone string          `json:"availabilityZone"`
	KeyName          string          `json:"keyName,omitempty"`
	Count            int             `json:"count"`
	Volume           *createVolume   `json:"volume,omitempty"`
	SecurityGroups   []nameRef       `json:"securityGroups"`
	// Metadata is not in the guide's create table, but instances-detail
	// reports "user meta data to be installed at an instance", so the
	// adapter sends it rather than dropping it.
	Metadata map[string]string `json:"metadata,omitempty"`
}

type createInstanceResponse struct {
	Instance struct {
		ID     flexString `json:"id"`
		Name   flexString `json:"name"`
		Status flexString `json:"status"`
	} `json:"instance"`
}

// Actions: POST /instances/{id}/action.

type actionRequest struct {
	Action     string         `json:"action"`
	Parameters map[string]any `json:"parameters,omitempty"`
}

type uploadImageResponse struct {
	CreatedImage struct {
		ID   flexString `json:"id"`
		Name flexString `json:"name"`
	} `json:"createdImage"`
}

// Block storage attachments.

type attachRequest struct {
	Attachment struct {
		VolumeID string `json:"volumeId"`
	} `json:"attachment"`
}

type attachResponse struct {
	Attachment struct {
		Device   flexString `json:"device"`
		ID       flexString `json:"id"`
		VolumeID flexString `json:"volumeId"`
	} `json:"attachment"`
}

// Flavors.

type wireFlavor struct {
	Disabled   flexBool   `json:"disabled"`
	Ephemeral  flexInt    `json:"ephemeral"`
	Type       flexString `json:"type"`
	VolumeSize flexInt    `json:"volumeSize"`
	ID         flexString `json:"id"`
	Name       flexString `json:"name"`
	IsPublic   flexBool   `json:"isPublic"`
	RAM        flexInt    `json:"ram"`
	VCPUs      flexInt    `json:"vcpus"`
}

type flavorsResponse struct {
	Flavors []wireFlavor `json:"flavors"`
}

// Key pairs.

type wireKeyPair struct {
	Name        flexString `json:"name"`
	PublicKey   flexString `json:"publicKey"`
	PrivateKey  flexString `json:"privateKey"`
	Fingerprint flexString `json:"fingerprint"`
	CreatedAt   flexString `json:"createdAt"`
}

type keyPairsResponse struct {
	KeyPairs []wireKeyPair `json:"keypairs"`
}

type createKeyPairRequest struct {
	KeyPair struct {
		Name      string `json:"name"`
		PublicKey string `json:"publicKey,omitempty"`
	} `json:"keypair"`
}

type createKeyPairResponse struct {
	KeyPair wireKeyPair `json:"keypair"`
}

// parseTime reads the timestamps TOAST prints: RFC 3339 with a zone
// ("2017-05-16T03:17:50Z") or without one and with microseconds
// ("2017-05-16T02:17:50.166563"), which is UTC (flexjson.ParseTime). An
// empty or unreadable value is the zero time.
func parseTime(s flexString) time.Time { return flexjson.ParseTime(string(s)) }

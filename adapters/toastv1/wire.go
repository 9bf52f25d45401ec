package toastv1

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds the JSON shapes of the TOAST Compute Instance API v1.0, as
// the vendor guide shows them, and the lenient scalar types its examples
// need: the guide prints numbers and booleans as strings ("count":
// "{Count}", "ram": "{RAM}", "available": "{Available}") while its tables
// call them Integer and Boolean, so both spellings are accepted.

// flexInt decodes a JSON number or a string holding an integer. null and ""
// decode to 0. Anything else is an error, so a malformed answer is reported
// instead of silently read as zero.
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*n = 0
		return nil
	}
	s, err := scalarText(b)
	if err != nil {
		return err
	}
	if b[0] == '"' {
		s = strings.TrimSpace(s)
		if s == "" {
			*n = 0
			return nil
		}
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = flexInt(v)
		return nil
	}
	// Some answers carry integral values as floats ("20.0").
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int64(f)) {
		return fmt.Errorf("toastv1: %q is not an integer", s)
	}
	*n = flexInt(int64(f))
	return nil
}

// flexBool decodes a JSON boolean or the strings "true"/"false" (any case).
// null and "" decode to false.
type flexBool bool

func (v *flexBool) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*v = false
		return nil
	}
	s, err := scalarText(b)
	if err != nil {
		return err
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		*v = true
	case "false", "":
		*v = false
	default:
		return fmt.Errorf("toastv1: %q is not a boolean", s)
	}
	return nil
}

// flexString decodes a JSON string, or a number kept as its literal text
// (IDs that a backend might print without quotes). null decodes to "".
type flexString string

func (v *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*v = ""
		return nil
	case b[0] == '"':
		s, err := scalarText(b)
		if err != nil {
			return err
		}
		*v = flexString(s)
		return nil
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		var num json.Number
		if err := json.Unmarshal(b, &num); err != nil {
			return err
		}
		*v = flexString(num.String())
		return nil
	}
	return fmt.Errorf("toastv1: %s is not a string", b)
}

// scalarText returns the text of a JSON scalar: a string literal unquoted
// (without encoding/json when it holds no escapes), anything else as is.
func scalarText(b []byte) (string, error) {
	if b[0] != '"' {
		return string(b), nil
	}
	if s, ok := plainString(b); ok {
		return s, nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// plainString returns the JSON string literal b without its quotes when it
// holds no escapes or control characters and is valid UTF-8; ok is false
// otherwise (encoding/json must unquote it).
func plainString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	inner := b[1 : len(b)-1]
	for _, c := range inner {
		if c == '\\' || c == '"' || c < 0x20 {
			return "", false
		}
	}
	if !utf8.Valid(inner) {
		return "", false
	}
	return string(inner), true
}

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
// ("2017-05-16T02:17:50.166563"), which is UTC. An empty or unreadable value
// is the zero time: a bad timestamp should not fail a whole listing.
func parseTime(s flexString) time.Time {
	v := strings.TrimSpace(string(s))
	if v == "" {
		return time.Time{}
	}
	layouts := [...]string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999", // no zone: UTC
		"2006-01-02T15:04:05.999999999Z0700",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02 15:04:05.999999999Z07:00",
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

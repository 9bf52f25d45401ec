package driver

import "strings"

// CheckCreateRequest reports, in one wording, what every dialect requires
// of a create: a display name (not only spaces), a flavor ID and an image
// ID, each ID well formed (CheckID). The portable layer checks it before
// any adapter sees the request; adapters call it too (an adapter may be
// used on its own) instead of checking these fields again in words of
// their own, and add only what their dialect requires beyond it.
func CheckCreateRequest(req *CreateInstanceRequest) Violations {
	var v Violations
	if strings.TrimSpace(req.Name) == "" {
		v.Add("instance.display_name", "required")
	}
	if req.FlavorID == "" {
		v.Add("instance.flavor", "required: a flavor ID (see ListFlavors)")
	} else if why := CheckID(req.FlavorID); why != "" {
		v.Add("instance.flavor", "a flavor ID "+why)
	}
	if req.ImageID == "" {
		v.Add("instance.image", "required: an image ID")
	} else if why := CheckID(req.ImageID); why != "" {
		v.Add("instance.image", "an image ID "+why)
	}
	return v
}

package nhnv2

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/driver"
)

func TestVendorErrorMapping(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		code       driver.Code
		vendorCode string
		vendorMsg  string
		retryAfter time.Duration
	}{
		{"badRequest", 400, nil, `{"badRequest": {"code": 400, "message": "Invalid flavorRef provided."}}`,
			driver.CodeInvalidArgument, "badRequest", "Invalid flavorRef provided.", 0},
		{"forbidden", 403, nil, `{"forbidden": {"code": 403, "message": "Policy doesn't allow os_compute_api:servers:create to be performed."}}`,
			driver.CodePermissionDenied, "forbidden", "Policy doesn't allow os_compute_api:servers:create to be performed.", 0},
		{"itemNotFound", 404, nil, `{"itemNotFound": {"code": 404, "message": "Instance aaf2 could not be found."}}`,
			driver.CodeNotFound, "itemNotFound", "Instance aaf2 could not be found.", 0},
		{"badMethod", 405, nil, `{"badMethod": {"code": 405, "message": "The method specified is not allowed for this resource."}}`,
			driver.CodeInvalidArgument, "badMethod", "The method specified is not allowed for this resource.", 0},
		{"conflictingRequest", 409, nil, `{"conflictingRequest": {"code": 409, "message": "Cannot 'os-start' instance aaf2 while it is in vm_state active"}}`,
			driver.CodeFailedPrecondition, "conflictingRequest", "Cannot 'os-start' instance aaf2 while it is in vm_state active", 0},
		{"buildInProgress", 409, nil, `{"buildInProgress": {"code": 409, "message": "Instance aaf2 is still building"}}`,
			driver.CodeFailedPrecondition, "buildInProgress", "Instance aaf2 is still building", 0},
		{"overLimit with retryAfter", 413, nil, `{"overLimit": {"code": 413, "message": "Quota exceeded for instances", "retryAfter": "59"}}`,
			driver.CodeResourceExhausted, "overLimit", "Quota exceeded for instances", 59 * time.Second},
		{"429 Retry-After", 429, map[string]string{"Retry-After": "7"}, `{"overLimit": {"code": 429, "message": "Rate limit"}}`,
			driver.CodeResourceExhausted, "overLimit", "Rate limit", 7 * time.Second},
		{"badMediaType", 415, nil, `{"badMediaType": {"code": 415, "message": "Unsupported Content-Type"}}`,
			driver.CodeInvalidArgument, "badMediaType", "Unsupported Content-Type", 0},
		{"unprocessable", 422, nil, `{"unprocessableEntity": {"code": 422, "message": "Unable to process the contained instructions"}}`,
			driver.CodeInvalidArgument, "unprocessableEntity", "Unable to process the contained instructions", 0},
		{"computeFault", 500, nil, `{"computeFault": {"code": 500, "message": "Unexpected API Error."}}`,
			driver.CodeUnavailable, "computeFault", "Unexpected API Error.", 0},
		{"notImplemented", 501, nil, `{"notImplemented": {"code": 501, "message": "Not implemented"}}`,
			driver.CodeUnimplemented, "notImplemented", "Not implemented", 0},
		{"serviceUnavailable", 503, map[string]string{"Retry-After": "30"}, `{"serviceUnavailable": {"code": 503, "message": "Service Unavailable"}}`,
			driver.CodeUnavailable, "serviceUnavailable", "Service Unavailable", 30 * time.Second},
		{"proxy HTML", 502, nil, `<html><body>Bad Gateway</body></html>`, driver.CodeUnavailable, "", "", 0},
		{"gateway timeout", 504, nil, ``, driver.CodeDeadlineExceeded, "", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, a := newWireStub(t)
			s.on("GET", v2+"/servers/"+guideServerID, reply{status: tc.status, body: tc.body, header: tc.header})
			_, err := a.GetInstance(ctxT(t), guideServerID)
			var de *driver.Error
			if !errors.As(err, &de) {
				t.Fatalf("err = %#v, want *driver.Error", err)
			}
			if de.Code != tc.code || de.VendorHTTPStatus != tc.status || de.VendorCode != tc.vendorCode || de.VendorMessage != tc.vendorMsg {
				t.Errorf("got code %v status %d vendor %q/%q, want %v %d %q/%q",
					de.Code, de.VendorHTTPStatus, de.VendorCode, de.VendorMessage, tc.code, tc.status, tc.vendorCode, tc.vendorMsg)
			}
			if de.RetryAfter != tc.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", de.RetryAfter, tc.retryAfter)
			}
			if !strings.Contains(de.Message, "get instance "+guideServerID) {
				t.Errorf("message %q does not say what failed", de.Message)
			}
			if strings.Contains(err.Error(), "wire-password") || strings.Contains(err.Error(), "tok-wire-1") {
				t.Errorf("error leaks a secret: %v", err)
			}
			if n := len(s.calls()); n != 1 {
				t.Errorf("%d requests: a %d must not be retried", n, tc.status)
			}
		})
	}
}

func TestKeyPairNameClashIsAlreadyExists(t *testing.T) {
	s, a := newWireStub(t)
	s.on("POST", v2+"/os-keypairs", reply{status: http.StatusConflict,
		body: `{"conflictingRequest": {"code": 409, "message": "Key pair 'keypair' already exists."}}`})
	_, err := a.CreateKeyPair(ctxT(t), driver.CreateKeyPairRequest{Name: "keypair"})
	var de *driver.Error
	if !errors.As(err, &de) || de.Code != driver.CodeAlreadyExists || de.VendorCode != "conflictingRequest" || de.VendorHTTPStatus != 409 {
		t.Fatalf("err = %+v, want AlreadyExists with vendor details", err)
	}
}

func TestLoginErrors(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		code   driver.Code
	}{
		{401, `{"error": {"message": "The request you have made requires authentication.", "code": 401, "title": "Unauthorized"}}`, driver.CodeCredentialsRejected},
		{400, `{"error": {"message": "Expecting to find auth in request body.", "code": 400, "title": "Bad Request"}}`, driver.CodeFailedPrecondition},
		{503, `{"error": {"message": "down", "code": 503, "title": "Service Unavailable"}}`, driver.CodeUnavailable},
	} {
		s, a := newWireStub(t)
		s.on("POST", "/v2.0/tokens", reply{status: tc.status, body: tc.body})
		_, err := a.ListZones(ctxT(t))
		var de *driver.Error
		if !errors.As(err, &de) || de.Code != tc.code || de.VendorHTTPStatus != tc.status || de.VendorMessage == "" {
			t.Errorf("login %d: err = %+v, want %v with vendor details", tc.status, err, tc.code)
		}
		if strings.Contains(err.Error(), "wire-password") {
			t.Errorf("login %d: error leaks the password: %v", tc.status, err)
		}
	}
}

// TestAttachUnavailableVolumeIsFailedPrecondition: Nova answers 400
// InvalidVolume ("status must be 'available'") to attaching a volume in use;
// the driver contract wants FAILED_PRECONDITION for that, while other 400s
// stay INVALID_ARGUMENT.
func TestAttachUnavailableVolumeIsFailedPrecondition(t *testing.T) {
	path := v2 + "/servers/" + guideServerID + "/os-volume_attachments"
	for msg, want := range map[string]driver.Code{
		"Invalid volume: volume 'a07f71dc-8151-4e7d-a0cc-cd24a3f11113' status must be 'available'. Currently in 'in-use'": driver.CodeFailedPrecondition,
		"Invalid input for field/attribute volumeId. Value: x. 'x' is not a 'uuid'":                                       driver.CodeInvalidArgument,
	} {
		s, a := newWireStub(t)
		body, _ := json.Marshal(map[string]any{"badRequest": map[string]any{"code": 400, "message": msg}})
		s.on("POST", path, reply{status: http.StatusBadRequest, body: string(body)})
		_, err := a.AttachVolume(ctxT(t), guideServerID, "a07f71dc-8151-4e7d-a0cc-cd24a3f11113")
		var de *driver.Error
		if !errors.As(err, &de) || de.Code != want || de.VendorCode != "badRequest" || de.VendorMessage != msg {
			t.Errorf("attach answered 400 %q: %+v, want %v with the vendor details", msg, err, want)
		}
	}
}

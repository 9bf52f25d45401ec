package toastv1

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/driver"
)

func TestClassifyResult(t *testing.T) {
	cases := []struct {
		code    int64
		want    driver.Code
		refused bool
	}{
		// The fixed codes of the vendor's error code page.
		{-1, driver.CodeUnavailable, false},
		{-2, driver.CodeUnknown, false},
		{-3, driver.CodePermissionDenied, true},
		{-4, driver.CodeInvalidArgument, false},
		{-5, driver.CodeNotFound, false},
		{-6, driver.CodeUnavailable, false},
		{-7, driver.CodeUnimplemented, false},
		{-8, driver.CodeInternal, false},
		{20001, driver.CodeResourceExhausted, false},
		{20004, driver.CodeInvalidArgument, false},
		// FFHHH family codes, read through their HTTP status.
		{10400, driver.CodeInvalidArgument, false},
		{10401, driver.CodePermissionDenied, true},
		{10403, driver.CodePermissionDenied, false},
		{10404, driver.CodeNotFound, false},
		{10409, driver.CodeFailedPrecondition, false},
		{10413, driver.CodeResourceExhausted, false},
		{10429, driver.CodeResourceExhausted, false},
		{10500, driver.CodeUnavailable, false},
		{10503, driver.CodeUnavailable, false},
		{10504, driver.CodeDeadlineExceeded, false},
		{11404, driver.CodeNotFound, false},
		{12404, driver.CodeNotFound, false},
		{13404, driver.CodeNotFound, false},
		{13409, driver.CodeAlreadyExists, false}, // key pair name clash
		{20409, driver.CodeFailedPrecondition, false},
		{21400, driver.CodeInvalidArgument, false},
		{22404, driver.CodeNotFound, false},
		{22409, driver.CodeFailedPrecondition, false},
		{23400, driver.CodeInvalidArgument, false},
		{24404, driver.CodeNotFound, false},
		{30413, driver.CodeResourceExhausted, false},
		{40409, driver.CodeFailedPrecondition, false},
		{50401, driver.CodePermissionDenied, true},
		{50404, driver.CodeNotFound, false},
		// Unknown codes are UNKNOWN, never OK.
		{0, driver.CodeUnknown, false}, // reached only with isSuccessful false
		{1, driver.CodeUnknown, false},
		{-9, driver.CodeUnknown, false},
		{-1004, driver.CodeUnknown, false},
		{10200, driver.CodeUnknown, false},
		{10399, driver.CodeUnknown, false},
		{10600, driver.CodeUnknown, false},
		{60404, driver.CodeUnknown, false}, // undocumented family
		{99999, driver.CodeUnknown, false},
		{404, driver.CodeUnknown, false},
	}
	for _, c := range cases {
		r := classifyResult(c.code)
		if r.code != c.want || r.tokenRefused != c.refused {
			t.Errorf("classifyResult(%d) = %v refused=%v, want %v refused=%v", c.code, r.code, r.tokenRefused, c.want, c.refused)
		}
		if r.what == "" {
			t.Errorf("classifyResult(%d) has no description", c.code)
		}
	}
}

func TestVendorFailureCarriesVendorDetails(t *testing.T) {
	e := vendorFailure(200, 13409, "Key pair 'k' already exists.")
	if e.Code != driver.CodeAlreadyExists || e.VendorCode != "13409" || e.VendorMessage != "Key pair 'k' already exists." || e.VendorHTTPStatus != 200 {
		t.Errorf("vendorFailure = %+v", e)
	}
	if isTokenRefused(e) {
		t.Error("a name clash is not a refused token")
	}
	if !isTokenRefused(vendorFailure(200, -3, "Permission denied")) {
		t.Error("-3 must be treated as a refused token")
	}
}

func TestDecodeResponse(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	type payload struct {
		Zones []struct {
			ZoneName  flexString `json:"zoneName"`
			ZoneState struct {
				Available flexBool `json:"available"`
			} `json:"zoneState"`
		} `json:"zones"`
	}
	cases := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		want       driver.Code // -1: success
		vendorCode string
		refused    bool
		retryAfter time.Duration
		msg        string
	}{
		{name: "success", status: 200, body: `{"header":{"isSuccessful":true,"resultCode":0,"resultMessage":"SUCCESS"},"zones":[{"zoneName":"a","zoneState":{"available":"true"}}]}`, want: -1},
		{name: "success with string code", status: 200, body: `{"header":{"isSuccessful":"true","resultCode":"0","resultMessage":"SUCCESS"}}`, want: -1},
		{name: "success without resultCode", status: 200, body: `{"header":{"isSuccessful":true}}`, want: -1},
		{name: "failure not found", status: 200, body: `{"header":{"isSuccessful":false,"resultCode":10404,"resultMessage":"Instance x could not be found."}}`,
			want: driver.CodeNotFound, vendorCode: "10404"},
		{name: "failure as string", status: 200, body: `{"header":{"isSuccessful":"false","resultCode":"-4","resultMessage":"Invalid parameters"}}`,
			want: driver.CodeInvalidArgument, vendorCode: "-4"},
		{name: "failure unknown code", status: 200, body: `{"header":{"isSuccessful":false,"resultCode":777,"resultMessage":"odd"}}`,
			want: driver.CodeUnknown, vendorCode: "777"},
		{name: "failure with code 0", status: 200, body: `{"header":{"isSuccessful":false,"resultCode":0,"resultMessage":"SUCCESS"}}`,
			want: driver.CodeUnknown, vendorCode: "0"},
		{name: "failure without code", status: 200, body: `{"header":{"isSuccessful":false}}`,
			want: driver.CodeUnknown, vendorCode: "-2"},
		{name: "successful flag with failure code", status: 200, body: `{"header":{"isSuccessful":true,"resultCode":10409,"resultMessage":"conflict"}}`,
			want: driver.CodeFailedPrecondition, vendorCode: "10409", msg: "non-zero resultCode"},
		{name: "quota with Retry-After", status: 200, header: http.Header{"Retry-After": {"30"}},
			body: `{"header":{"isSuccessful":false,"resultCode":10413,"resultMessage":"Quota exceeded"}}`,
			want: driver.CodeResourceExhausted, vendorCode: "10413", retryAfter: 30 * time.Second},
		{name: "token refused in envelope", status: 200, body: `{"header":{"isSuccessful":false,"resultCode":-3,"resultMessage":"Permission denied"}}`,
			want: driver.CodePermissionDenied, vendorCode: "-3", refused: true},
		{name: "HTTP 401 with envelope", status: 401, body: `{"header":{"isSuccessful":false,"resultCode":-3,"resultMessage":"Permission denied"}}`,
			want: driver.CodePermissionDenied, vendorCode: "-3", refused: true},
		{name: "HTTP 401 bare", status: 401, body: `Unauthorized`, want: driver.CodePermissionDenied, refused: true},
		{name: "HTTP 401 with success envelope", status: 401, body: `{"header":{"isSuccessful":true,"resultCode":0}}`,
			want: driver.CodePermissionDenied, vendorCode: "0", refused: true},
		{name: "HTML error page", status: 502, header: http.Header{"Content-Type": {"text/html"}},
			body: `<html><body><h1>502 Bad Gateway</h1></body></html>`, want: driver.CodeUnavailable, msg: "not a TOAST response envelope"},
		{name: "HTML on 200", status: 200, body: `<html>maintenance</html>`, want: driver.CodeUnavailable, msg: "HTTP 200"},
		{name: "truncated JSON", status: 200, body: `{"header":{"isSuccessful":true,"resultCode":0},"zones":[{"zoneN`,
			want: driver.CodeUnavailable, msg: "not valid JSON: truncated"},
		{name: "truncated JSON string", status: 200, body: `{"header":{"isSuccessful":true,"resultMessage":"SUCC`,
			want: driver.CodeUnavailable, msg: "truncated"},
		{name: "JSON with a syntax error", status: 200, body: `{"header":{"isSuccessful":true,}}`,
			want: driver.CodeUnavailable, msg: "not valid JSON"},
		{name: "empty body", status: 200, body: ``, want: driver.CodeUnavailable, msg: "empty body"},
		{name: "JSON array", status: 200, body: `[]`, want: driver.CodeUnavailable},
		{name: "no header", status: 200, body: `{"zones":[]}`, want: driver.CodeUnavailable, msg: `no "header"`},
		{name: "header not object", status: 200, body: `{"header":true}`, want: driver.CodeUnavailable},
		{name: "header null", status: 200, body: `{"header":null}`, want: driver.CodeUnavailable},
		{name: "no isSuccessful", status: 200, body: `{"header":{"resultCode":0}}`, want: driver.CodeUnavailable},
		{name: "isSuccessful null", status: 200, body: `{"header":{"isSuccessful":null,"resultCode":0}}`, want: driver.CodeUnavailable},
		{name: "isSuccessful number", status: 200, body: `{"header":{"isSuccessful":1,"resultCode":0}}`, want: driver.CodeUnavailable},
		{name: "resultCode not a number", status: 200, body: `{"header":{"isSuccessful":true,"resultCode":"zero"}}`, want: driver.CodeUnavailable},
		{name: "isSuccessful twice", status: 200, body: `{"header":{"isSuccessful":false,"isSuccessful":true,"resultCode":0}}`,
			want: driver.CodeUnavailable, msg: "more than once"},
		{name: "isSuccessful twice by case", status: 200, body: `{"header":{"isSuccessful":false,"IsSuccessful":true,"resultCode":0}}`,
			want: driver.CodeUnavailable},
		{name: "header twice", status: 200, body: `{"header":{"isSuccessful":false,"resultCode":-5},"Header":{"isSuccessful":true,"resultCode":0}}`,
			want: driver.CodeUnavailable},
		{name: "trailing garbage", status: 200, body: `{"header":{"isSuccessful":true,"resultCode":0}} {}`, want: driver.CodeUnavailable},
		{name: "success envelope on 500", status: 500, body: `{"header":{"isSuccessful":true,"resultCode":0,"resultMessage":"SUCCESS"}}`,
			want: driver.CodeUnavailable, vendorCode: "0"},
		{name: "failure envelope on 500", status: 500, body: `{"header":{"isSuccessful":false,"resultCode":-6,"resultMessage":"db"}}`,
			want: driver.CodeUnavailable, vendorCode: "-6"},
		{name: "bare 429", status: 429, header: http.Header{"Retry-After": {"7"}}, body: `Too Many Requests`,
			want: driver.CodeResourceExhausted, retryAfter: 7 * time.Second},
		{name: "bare redirect", status: 302, header: http.Header{"Location": {"https://elsewhere.example/"}}, body: ``,
			want: driver.CodeUnavailable, msg: "redirect"},
		{name: "bare 504", status: 504, body: `Gateway Timeout`, want: driver.CodeDeadlineExceeded},
		{name: "payload of the wrong shape", status: 200, body: `{"header":{"isSuccessful":true,"resultCode":0},"zones":{"zoneName":"a"}}`,
			want: driver.CodeUnavailable, msg: "documented shape"},
		{name: "payload number that is not an integer", status: 200,
			body: `{"header":{"isSuccessful":true,"resultCode":0},"zones":[{"zoneName":"a","zoneState":{"available":"maybe"}}]}`,
			want: driver.CodeUnavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := c.header
			if h == nil {
				h = jsonCT
			}
			var out payload
			err := decodeResponse(c.status, h, []byte(c.body), &out, now)
			if c.want == -1 {
				if err != nil {
					t.Fatalf("err %v, want success", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("success, want %v", c.want)
			}
			if err.Code != c.want {
				t.Errorf("code %v (%v), want %v", err.Code, err, c.want)
			}
			if err.VendorCode != c.vendorCode {
				t.Errorf("vendor code %q, want %q", err.VendorCode, c.vendorCode)
			}
			if err.VendorHTTPStatus != c.status {
				t.Errorf("vendor HTTP status %d, want %d", err.VendorHTTPStatus, c.status)
			}
			if isTokenRefused(err) != c.refused {
				t.Errorf("token refused %v, want %v", isTokenRefused(err), c.refused)
			}
			if err.RetryAfter != c.retryAfter {
				t.Errorf("retry after %v, want %v", err.RetryAfter, c.retryAfter)
			}
			if c.msg != "" && !strings.Contains(err.Message, c.msg) {
				t.Errorf("message %q lacks %q", err.Message, c.msg)
			}
			if strings.Contains(err.Message, "<html") {
				t.Errorf("message echoes the body: %q", err.Message)
			}
		})
	}
}

func TestDecodeResponseFlexibleNumbers(t *testing.T) {
	body := `{"header":{"isSuccessful":true,"resultCode":0,"resultMessage":"SUCCESS"},"flavors":[
		{"id":"a","ram":"4096","vcpus":"2","ephemeral":"","volumeSize":null,"isPublic":"TRUE","disabled":"false"},
		{"id":"b","ram":8192,"vcpus":4,"ephemeral":10,"volumeSize":"20.0","isPublic":true,"disabled":false}]}`
	var out flavorsResponse
	if err := decodeResponse(200, nil, []byte(body), &out, time.Now()); err != nil {
		t.Fatal(err)
	}
	a, b := toFlavor(&out.Flavors[0]), toFlavor(&out.Flavors[1])
	if a.RAMMB != 4096 || a.VCPUs != 2 || a.EphemeralGB != 0 || a.VolumeSizeGB != 0 || !a.IsPublic {
		t.Errorf("string-typed flavor %+v", a)
	}
	if b.RAMMB != 8192 || b.VCPUs != 4 || b.EphemeralGB != 10 || b.VolumeSizeGB != 20 || !b.IsPublic {
		t.Errorf("number-typed flavor %+v", b)
	}
}

// TestVendorReasonInMessage: TOAST's resultMessage is in the top-level
// message (issue 13 finding 6), and the message claims no HTTP status the
// answer did not have (finding 8).
func TestVendorReasonInMessage(t *testing.T) {
	e := vendorFailure(200, -4, "Invalid parameters : volume is required for this flavor")
	if !strings.Contains(e.Message, "volume is required for this flavor") || e.VendorHTTPStatus != 200 {
		t.Errorf("message %q", e.Message)
	}
	e = vendorFailure(200, 10404, "Instance not found")
	if strings.Contains(e.Message, "HTTP status 404") || !strings.Contains(e.Message, "result code 10404") || !strings.Contains(e.Message, "Instance not found") {
		t.Errorf("message %q", e.Message)
	}
}

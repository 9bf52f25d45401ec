package toastv1

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fuzzPayload holds every payload shape the adapter decodes, so one fuzz
// input exercises all of them (each has its own JSON member name).
type fuzzPayload struct {
	detailInstancesResponse
	flavorsResponse
	zonesResponse
	keyPairsResponse
	tokenResponse
	uploadImageResponse
	attachResponse
	createInstanceResponse
	createKeyPairResponse
}

// FuzzDecodeResponse feeds arbitrary HTTP statuses and bodies to the one
// function that decides whether TOAST said yes. It must never panic, and it
// must never report success when the body says isSuccessful false (in any
// spelling or case), carries a non-zero resultCode, is not JSON, or came
// with a non-2xx status. The seed corpus runs as a normal test.
//
// Run: go test -run='^$' -fuzz=FuzzDecodeResponse -fuzztime=2m ./adapters/toastv1/
func FuzzDecodeResponse(f *testing.F) {
	seeds := []struct {
		status int
		body   string
	}{
		{200, `{"header":{"isSuccessful":true,"resultCode":0,"resultMessage":"SUCCESS"}}`},
		{200, tokenSeed},
		{200, detailSeed},
		{200, `{"header":{"isSuccessful":true,"resultCode":0,"resultMessage":"SUCCESS"},"flavors":[{"disabled":"false","ephemeral":"0","type":"general","volumeSize":"20","id":"f","name":"u2.c2m4","isPublic":"true","ram":"4096","vcpus":"2"}]}`},
		{200, `{"header":{"isSuccessful":true,"resultCode":0,"resultMessage":"SUCCESS"},"zones":[{"zoneName":"kr-pub-a","zoneState":{"available":"true"}}]}`},
		{200, `{"header":{"isSuccessful":true,"resultCode":0,"resultMessage":"SUCCESS"},"keypairs":[{"name":"k","publicKey":"ssh-rsa AAAA","fingerprint":"aa","createdAt":"2017-05-16T02:17:50Z"}]}`},
		{200, `{"header":{"isSuccessful":true,"resultCode":0,"resultMessage":"SUCCESS"},"createdImage":{"id":"img","name":"snap"}}`},
		{200, `{"header":{"isSuccessful":true,"resultCode":0,"resultMessage":"SUCCESS"},"attachment":{"device":"/dev/vdc","id":"a","volumeId":"v"}}`},
		{200, `{"header":{"isSuccessful":false,"resultCode":10409,"resultMessage":"Cannot 'start' instance"}}`},
		{200, `{"header":{"isSuccessful":"false","resultCode":"-3","resultMessage":"Permission denied"}}`},
		{200, `{"header":{"isSuccessful":false,"IsSuccessful":true,"resultCode":0}}`},
		{200, `{"header":{"isSuccessful":true,"resultCode":13409}}`},
		{200, `{"Header":{"isSuccessful":false},"header":{"isSuccessful":true,"resultCode":0}}`},
		{200, `{"header":{"isSuccessful":true,"resultCode":0},"instances":[{"id":"i","flavor":{"cpu":"x"}}]}`},
		{200, `{"header":{"isSuccessful":true,"resultCode":0}`},
		{401, `Unauthorized`},
		{502, `<html><body>Bad Gateway</body></html>`},
		{500, `{"header":{"isSuccessful":true,"resultCode":0}}`},
		{429, ``},
	}
	for _, s := range seeds {
		f.Add(s.status, []byte(s.body))
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			status = 100 + (status%500+500)%500
		}
		var out fuzzPayload
		err := decodeResponse(status, http.Header{"Retry-After": {"5"}}, body, &out, now)
		if err != nil {
			if err.Message == "" {
				t.Fatalf("error without a message: %+v", err)
			}
			return
		}
		// Success: check it against an independent reading of the body.
		if status < 200 || status > 299 {
			t.Fatalf("success on HTTP %d", status)
		}
		var doc any
		if jerr := json.Unmarshal(body, &doc); jerr != nil {
			t.Fatalf("success on a body that is not JSON: %v", jerr)
		}
		top, ok := doc.(map[string]any)
		if !ok {
			t.Fatalf("success on a body that is not an object: %s", body)
		}
		sawHeader := false
		for k, v := range top {
			if !strings.EqualFold(k, "header") {
				continue
			}
			sawHeader = true
			hd, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("success with a header that is not an object: %s", body)
			}
			for hk, hv := range hd {
				switch {
				case strings.EqualFold(hk, "isSuccessful"):
					if hv != true && !(isString(hv) && strings.EqualFold(hv.(string), "true")) {
						t.Fatalf("isSuccessful %v reported as success: %s", hv, body)
					}
				case strings.EqualFold(hk, "resultCode"):
					if hv != nil && hv != float64(0) && hv != "0" && hv != "" {
						t.Fatalf("resultCode %v reported as success: %s", hv, body)
					}
				}
			}
		}
		if !sawHeader {
			t.Fatalf("success without a header: %s", body)
		}
		// Mapping what was decoded must not panic either.
		for i := range out.Instances {
			_ = toInstance(&out.Instances[i])
		}
		for i := range out.Flavors {
			_ = toFlavor(&out.Flavors[i])
		}
		for i := range out.KeyPairs {
			_ = toKeyPair(&out.KeyPairs[i])
		}
		_ = parseTime(out.Access.Token.Expires)
	})
}

func isString(v any) bool { _, ok := v.(string); return ok }

const tokenSeed = `{"header":{"isSuccessful":true,"resultCode":0,"resultMessage":"SUCCESS"},
"access":{"token":{"expires":"2017-05-16T03:17:50Z","id":"tok","issued_at":"2017-05-16T02:17:50.166563"},
"user":{"id":"u","roles":[{"name":"Member"}]}}}`

const detailSeed = `{"header":{"isSuccessful":true,"resultCode":0,"resultMessage":"SUCCESS"},"instances":[{
"addresses":[{"macAddress":"fa:16:3e:00:00:01","ipAddress":"192.168.0.5","version":"4","floatingIpAddress":"133.186.1.1"}],
"availabilityZone":"kr-pub-a","flavor":{"id":"f","name":"m2.c2m4","cpu":"2","ram":"4096"},"status":"ACTIVE","id":"i",
"name":"web","image":"img","metadata":{"k":"v"},"keyName":"key",
"volumes":{"root":{"size":"20","type":"General SSD"},"attachments":[{"id":"v","name":"d","size":"100","type":"General HDD"}]},
"securityGroups":[{"name":"default"}],"launchedAt":"2017-05-16T02:17:50.166563","createdAt":"2017-05-16T02:17:50Z",
"updatedAt":"2017-05-16T02:17:50.166563"}]}`

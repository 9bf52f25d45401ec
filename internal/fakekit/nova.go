package fakekit

import "net/http"

// The error bodies of OpenStack's services, which the Nova-derived fakes
// (nhnv2, k5) answer in alike.

// WriteNovaFault writes a Nova fault body:
// {"itemNotFound": {"code": 404, "message": "…"}}.
func WriteNovaFault(w http.ResponseWriter, status int, name, message string) {
	WriteJSON(w, status, map[string]any{name: map[string]any{"code": status, "message": message}})
}

// WriteKeystoneError writes a Keystone error body:
// {"error": {"code": 401, "title": "Unauthorized", "message": "…"}}.
func WriteKeystoneError(w http.ResponseWriter, status int, title, message string) {
	WriteJSON(w, status, map[string]any{"error": map[string]any{"code": status, "title": title, "message": message}})
}

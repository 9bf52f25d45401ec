package toastv1

import (
	"log/slog"
	"time"

	"github.com/computegw/computegw/adapters/toastv1/fake"
)

// NewDemo starts a fake TOAST server on 127.0.0.1 (real HTTP over loopback),
// seeded for the gateway's demo mode (flavors, zones, images, a network,
// volumes, floating IPs, the key pair fake.DemoKeyPair and two instances),
// with short but visible transitions, and returns an adapter configured
// against it and a function that stops both.
func NewDemo(logger *slog.Logger) (*Adapter, func(), error) {
	srv := fake.NewServer(fake.Options{
		Demo:        true,
		BuildDelay:  3 * time.Second,
		PowerDelay:  2 * time.Second,
		RebootDelay: 2 * time.Second,
		ResizeDelay: 3 * time.Second,
		DeleteDelay: 2 * time.Second,
	})
	a, err := New(Config{
		Name:            "toast-demo",
		Endpoint:        srv.URL,
		AppKey:          fake.DemoAppKey,
		Username:        fake.DemoUsername,
		Password:        fake.DemoPassword,
		WindowsImageIDs: []string{fake.WindowsImageID},
		Logger:          logger,
	})
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	stop := func() {
		_ = a.Close()
		srv.Close()
	}
	return a, stop, nil
}

package k5

import (
	"context"
	"testing"

	"github.com/computegw/computegw/adapters/k5/fake"
	"github.com/computegw/computegw/driver"
)

// BenchmarkReads measures the adapter's flavor, key pair and volume
// attachment reads against the fake (loopback HTTP and its JSON included):
//
//	go test -run '^$' -bench Reads -benchmem ./adapters/k5/
func BenchmarkReads(b *testing.B) {
	srv := fake.NewServer(fake.Options{SeedInstances: true})
	defer srv.Close()
	a := fakeAdapter(b, srv)
	ctx := context.Background()
	if _, err := a.AttachVolume(ctx, fake.Instance1ID, fake.Volume1); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		call func() error
	}{
		{"ListFlavors", func() error { _, err := a.ListFlavors(ctx, driver.FlavorFilter{}); return err }},
		{"GetFlavor", func() error { _, err := a.GetFlavor(ctx, fake.FlavorS1); return err }},
		{"ListKeyPairs", func() error { _, err := a.ListKeyPairs(ctx); return err }},
		{"GetKeyPair", func() error { _, err := a.GetKeyPair(ctx, fake.KeyPairName); return err }},
		{"ListVolumeAttachments", func() error { _, err := a.ListVolumeAttachments(ctx, fake.Instance1ID); return err }},
		{"GetVolumeAttachment", func() error { _, err := a.GetVolumeAttachment(ctx, fake.Instance1ID, fake.Volume1); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.call(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

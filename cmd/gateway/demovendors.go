package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/computegw/computegw/internal/demo"
	"github.com/computegw/computegw/internal/gateway"
)

// demoVendorsFlag registers --demo-vendors.
func demoVendorsFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("demo-vendors", false, "serve only the demo clouds' fake vendor servers on loopback ports and print, on stdout, a config file\n"+
		"for gateway --config that serves them (--http-addr and --grpc-addr set its listen addresses); Ctrl-C or SIGTERM stops them")
}

// demoVendorsConflicts are the flags that make no sense with --demo-vendors.
var demoVendorsConflicts = []string{"config", "admin-addr"}

// runDemoVendors serves the fake vendors until ctx ends, printing their
// config on stdout and what to do with it on stderr; it returns the exit
// code. The vendors' credentials go to files in a temporary directory
// (removed on exit) that the config names, never into the config itself;
// so do the certificates of its commented-out tls section.
func runDemoVendors(ctx context.Context, fs *flag.FlagSet, stdout, stderr io.Writer, httpAddr, grpcAddr string) int {
	bad := ""
	fs.Visit(func(f *flag.Flag) {
		for _, c := range demoVendorsConflicts {
			if f.Name == c && bad == "" {
				bad = c
			}
		}
	})
	if bad != "" {
		fmt.Fprintf(stderr, "gateway: --demo-vendors serves only fake vendors and takes no --%s; run a second gateway with --config on the file it prints\n", bad)
		return 2
	}
	if httpAddr == "" {
		httpAddr = gateway.DefaultHTTPAddr
	}
	if grpcAddr == "" {
		grpcAddr = gateway.DefaultGRPCAddr
	}
	dir, err := os.MkdirTemp("", "computegw-demo-vendors-")
	if err != nil {
		fmt.Fprintf(stderr, "gateway: --demo-vendors: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	vendors, stop := demo.StartVendors()
	defer stop()
	cfg, err := demo.WriteConfig(vendors, dir, httpAddr, grpcAddr)
	if err != nil {
		fmt.Fprintf(stderr, "gateway: --demo-vendors: %v\n", err)
		return 1
	}
	if _, err := stdout.Write(cfg); err != nil {
		fmt.Fprintf(stderr, "gateway: --demo-vendors: writing the config: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "computegw demo vendors: fake vendor servers on loopback, credentials in %s:\n", dir)
	for _, v := range vendors {
		fmt.Fprintf(stderr, "  %-11s %-8s %s\n", v.Cloud, v.Dialect, v.URL)
	}
	fmt.Fprintf(stderr, "The config file for them is on stdout. Save it (gateway --demo-vendors > demo.yaml)\n"+
		"and serve it from another terminal: gateway --config demo.yaml\n"+
		"Its commented-out tls and policy lines turn on mTLS with the certificates beside the credentials.\n"+
		"Ctrl-C stops the vendors.\n")
	<-ctx.Done()
	fmt.Fprintln(stderr, "computegw demo vendors: stopped")
	return 0
}

// Command gateway serves computegw: one gRPC and REST compute API over
// NHN Cloud v2, TOAST v1.0 and Fujitsu K5 clouds. Without a config file it
// starts demo mode with emulated clouds. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/computegw/computegw/internal/gateway"
)

func main() {
	setGC(os.LookupEnv)
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	configPath := fs.String("config", os.Getenv("COMPUTEGW_CONFIG"), "config file (default $COMPUTEGW_CONFIG; none: demo mode)")
	httpAddr := fs.String("http-addr", "", "REST listen address (overrides the config file; default "+gateway.DefaultHTTPAddr+")")
	grpcAddr := fs.String("grpc-addr", "", "gRPC listen address (overrides the config file; default "+gateway.DefaultGRPCAddr+")")
	adminAddr := fs.String("admin-addr", "", "admin listener address: /metrics, /debug/pprof/, /healthz, /readyz (overrides the config file's admin_addr; default off)")
	logFormat := fs.String("log-format", "json", "log format: json or text")
	demoVendors := demoVendorsFlag(fs)
	usage := func() {
		fmt.Fprintf(fs.Output(), "Usage: gateway [flags]\n\n"+
			"Serves computegw's gRPC and REST API over the clouds of a config file, or, with\n"+
			"no config (no --config, no COMPUTEGW_CONFIG), demo mode with emulated clouds.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.Usage = func() {} // a bad flag gets one line (the flag package's) and a hint, not the whole usage
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) { // asked for: stdout, exit 0
			fs.SetOutput(os.Stdout)
			usage()
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "gateway: run gateway --help for the flags")
		os.Exit(2)
	}
	var handler slog.Handler
	switch *logFormat {
	case "json":
		handler = slog.NewJSONHandler(os.Stderr, nil)
	case "text":
		handler = slog.NewTextHandler(os.Stderr, nil)
	default:
		fmt.Fprintf(os.Stderr, "gateway: --log-format: %q is not json or text\n", *logFormat)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if *demoVendors {
		code := runDemoVendors(ctx, fs, os.Stdout, os.Stderr, *httpAddr, *grpcAddr)
		stop()
		os.Exit(code)
	}
	err := gateway.Run(ctx, gateway.Options{
		ConfigPath: *configPath,
		HTTPAddr:   *httpAddr,
		GRPCAddr:   *grpcAddr,
		AdminAddr:  *adminAddr,
		Logger:     slog.New(handler),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "gateway: %v\n", err)
		os.Exit(1)
	}
}

package server

import "google.golang.org/grpc"

type watchStreamBase struct{ grpc.ServerStream }

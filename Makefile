# Everything here also works without make; see README.md.
.PHONY: generate lint test test-race e2e bench ci run

# Regenerates gen/ from proto/. Needs only the Go module proxy and npm.
generate:
	cd third_party/googleapis && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	go tool buf generate

lint:
	go vet ./...
	go tool buf lint

test:
	go test ./...

test-race:
	go test -race ./...

bench:
	go test -run '^$$' -bench . -benchmem ./bench/...

run:
	go run ./cmd/gateway

ci:
	bash .ci/run

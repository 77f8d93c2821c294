package version

// Version is `git describe --always --dirty` of the tree the binary was
// built from; make build sets it with -ldflags -X. A plain go build or
// go run leaves "devel".
var Version = "devel"

// Package version holds the version make build stamps into kwarden's binaries.
package version

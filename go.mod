module github.com/kwarden/kwarden

go 1.26

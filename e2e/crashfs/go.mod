module github.com/ldwrap/ldwrap/e2e/crashfs

go 1.21

require (
	github.com/hanwen/go-fuse/v2 v2.12.1
	golang.org/x/sys v0.28.0
)

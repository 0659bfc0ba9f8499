module github.com/ldwrap/ldwrap

go 1.19

require (
	github.com/stretchr/testify v1.9.0 // indirect
	golang.org/x/sys v0.30.0 // indirect
)

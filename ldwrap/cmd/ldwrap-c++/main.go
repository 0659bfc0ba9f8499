// Command ldwrap-c++ stands in front of the C++ compiler driver
// ($LDWRAP_CXX, default c++) and makes its outputs appear atomically.
package main

import "github.com/ldwrap/ldwrap/ldwrap/internal/cli"

func main() { cli.Driver("LDWRAP_CXX", "c++") }

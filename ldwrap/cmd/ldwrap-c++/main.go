// Command ldwrap-c++ stands in front of the C++ compiler driver
// ($LDWRAP_CXX, default c++) and makes its outputs appear atomically.
package main

import "github.com/ldwrap/ldwrap/ldwrap/wrap"

func main() { wrap.DriverMain("LDWRAP_CXX", "c++") }

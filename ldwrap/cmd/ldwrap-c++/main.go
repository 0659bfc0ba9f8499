// Command ldwrap-c++ is ldwrap-cc for C++: by its own name it runs
// $LDWRAP_CXX (default c++). See "ldwrap-c++ --ldwrap-help".
package main

import "github.com/ldwrap/ldwrap/ldwrap/internal/cli"

func main() { cli.Main("ldwrap-c++") }

// Command ldwrap-run runs any command that writes named outputs and makes
// them appear atomically. See "ldwrap-run --help".
package main

import "github.com/ldwrap/ldwrap/ldwrap/wrap"

func main() { wrap.RunMain() }

// Command writeonly writes its first argument with ldwrap.WriteFile and
// its second with os.WriteFile, both mode 0200, and prints the errors: the
// e2e tests run it as an unprivileged user.
package main

import (
	"fmt"
	"os"

	"github.com/ldwrap/ldwrap/ldwrap"
)

func main() {
	fmt.Println("ldwrap:", ldwrap.WriteFile(os.Args[1], []byte("secret\n"), 0o200))
	fmt.Println("os:", os.WriteFile(os.Args[2], []byte("secret\n"), 0o200))
}

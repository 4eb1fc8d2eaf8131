// Command driftwarden audits cloud infrastructure after deployment: drift
// between Terraform state and live resources, who caused it, and whether
// what runs complies with policy. See `driftwarden --help`.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	return execute(newRoot(), args)
}

// execute runs root with args and returns the process exit status. Errors
// are printed to root's error writer (os.Stderr unless SetErr was called).
func execute(root *cobra.Command, args []string) int {
	root.SetArgs(args)
	err := root.Execute()
	var ec exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ec):
		return int(ec)
	default:
		fmt.Fprintln(root.ErrOrStderr(), "driftwarden:", err)
		return 1
	}
}

// exitCode ends the command with a specific status without printing an error.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// Package commands is the table of ldwrap's commands, and every list of
// them is derived from it: what each command's main runs (cli.Main), the
// wrappers' defaults and usage text, the binaries and man pages that mage
// installs and releases, the root BUILD.bazel (go run mage.go gen writes
// it) and the tests' lists. It sits outside ldwrap/ so that magefiles and
// e2e, which may not import ldwrap/internal, read it too.
package commands

// A Model is the argument model that reads a command's command line.
type Model int

const (
	Linker   Model = iota + 1 // a linker's arguments: ldwrap (0 is no model)
	Driver                    // a C or C++ compiler driver's: ldwrap-cc, ldwrap-c++
	Archiver                  // ar's: ldwrap-ar
	Run                       // ldwrap-run's options, then any command
	Install                   // GNU install's
	Stale                     // ldwrap-stale's, which runs no tool
)

// Wraps says whether the model stands in front of a tool: such a command
// runs $Env (else Default) by its own name, and a link named after the
// tool (gcc, ld.gold, ar) runs the next tool of that name on PATH.
func (m Model) Wraps() bool { return m >= Linker && m <= Archiver }

// A Command is one of ldwrap's commands.
type Command struct {
	Name  string
	Model Model
	// Env names the tool a wrapper runs by its own name; Default is that
	// tool when Env is unset or empty.
	Env, Default string
	// Page is the command whose man page documents this one too
	// (ldwrap-c++: ldwrap-cc's), "" for a page of its own. Section is the
	// page's section, Summary its NAME line, SeeAlso its SEE ALSO.
	Page    string
	Section int
	Summary string
	SeeAlso []string
}

// All are the commands, sorted by name.
var All = []Command{
	{Name: "ldwrap", Model: Linker, Env: "LDWRAP_LD", Default: "ld", Section: 1,
		Summary: "run a linker so that its output replaces the target atomically",
		SeeAlso: []string{"ld(1)", "ldwrap-cc(1)", "ldwrap-run(1)", "ldwrap-install(1)", "ldwrap-stale(8)"}},
	{Name: "ldwrap-ar", Model: Archiver, Env: "LDWRAP_AR", Default: "ar", Section: 1,
		Summary: "run ar so that the archive it changes replaces the old one atomically",
		SeeAlso: []string{"ar(1)", "ldwrap(1)", "ldwrap-cc(1)", "ldwrap-run(1)", "ldwrap-stale(8)"}},
	{Name: "ldwrap-c++", Model: Driver, Env: "LDWRAP_CXX", Default: "c++", Page: "ldwrap-cc", Section: 1},
	{Name: "ldwrap-cc", Model: Driver, Env: "LDWRAP_CC", Default: "cc", Section: 1,
		Summary: "run a C or C++ compiler so that its outputs replace their targets atomically",
		SeeAlso: []string{"gcc(1)", "ccache(1)", "ldwrap(1)", "ldwrap-ar(1)", "ldwrap-run(1)", "ldwrap-stale(8)"}},
	{Name: "ldwrap-install", Model: Install, Section: 1,
		Summary: "copy files and set attributes, replacing each destination atomically",
		SeeAlso: []string{"install(1)", "ldwrap-run(1)", "ldwrap-stale(8)"}},
	{Name: "ldwrap-run", Model: Run, Section: 1,
		Summary: "run a command and replace its outputs atomically if it succeeds",
		SeeAlso: []string{"ldwrap(1)", "ldwrap-cc(1)", "ldwrap-install(1)", "ldwrap-stale(8)"}},
	{Name: "ldwrap-stale", Model: Stale, Section: 8,
		Summary: "list the processes that still use an old version of a replaced file",
		SeeAlso: []string{"ldwrap(1)", "ldwrap-install(1)", "needrestart(1)", "lsof(8)"}},
}

// Named returns the command called name.
func Named(name string) (Command, bool) {
	for _, c := range All {
		if c.Name == name {
			return c, true
		}
	}
	return Command{}, false
}

// HelpFlag and VersionFlag are the options that print the command's own
// usage text and version. A wrapper of a compiler driver or of ar passes
// --help and --version to the tool, as build systems expect (Meson asks
// ar --version), and answers --ldwrap-help and --ldwrap-version itself.
func (c Command) HelpFlag() string    { return c.ownFlag("help") }
func (c Command) VersionFlag() string { return c.ownFlag("version") }

func (c Command) ownFlag(name string) string {
	if c.Model == Driver || c.Model == Archiver {
		return "--ldwrap-" + name
	}
	return "--" + name
}

// ManPage is the file of the command's man page under a man directory
// ("man1/ldwrap-run.1"); for a command that shares another's page, a link
// to it.
func (c Command) ManPage() string {
	s := string(rune('0' + c.Section))
	return "man" + s + "/" + c.Name + "." + s
}

"""Second step of using ldwrap from a WORKSPACE (see deps.bzl)."""

load("@bazel_tools//tools/build_defs/repo:utils.bzl", "maybe")
load("@io_bazel_rules_go//go:deps.bzl", "go_local_sdk", "go_register_toolchains", "go_rules_dependencies")
load("@bazel_gazelle//:deps.bzl", "gazelle_dependencies", "go_repository")
load("@ldwrap_config//:config.bzl", "GO_SDK_PATH")

# The Go SDK rules_go downloads where it can. It must be Go 1.19: rules_go
# v0.34's builder does not link with Go >= 1.20.
GO_VERSION = "1.19.13"

_TESTIFY_IMPORTS = [
    ("github.com/davecgh/go-spew/spew", "@com_github_davecgh_go_spew//spew"),
    ("github.com/pmezard/go-difflib/difflib", "@com_github_pmezard_go_difflib//difflib"),
    ("gopkg.in/yaml.v3", "@in_gopkg_yaml_v3//:yaml_v3"),
    ("github.com/stretchr/objx", "@com_github_stretchr_objx//:objx"),
]

def ldwrap_go_repositories():
    """The Go modules ldwrap's code and tests import, pinned as in go.sum."""
    for name, importpath, version, sum in [
        ("org_golang_x_sys", "golang.org/x/sys", "v0.30.0", "h1:QjkSwP/36a20jFYWkSue1YwXzLmsV5Gfq7Eiy72C1uc="),
        ("com_github_stretchr_testify", "github.com/stretchr/testify", "v1.9.0", "h1:HtqpIVDClZ4nwg75+f6Lvsy/wHu+3BoSGCbBAcpTsTg="),
        ("com_github_davecgh_go_spew", "github.com/davecgh/go-spew", "v1.1.1", "h1:vj9j/u1bqnvCEfJOwUhtlOARqs3+rkHYY13jYWTU97c="),
        ("com_github_pmezard_go_difflib", "github.com/pmezard/go-difflib", "v1.0.0", "h1:4DBwDE0NGyQoBHbLQYPwSUPoCMWR5BEzIk/f1lZbAQM="),
        ("in_gopkg_yaml_v3", "gopkg.in/yaml.v3", "v3.0.1", "h1:fxVm/GzAzEWqLHuvctI91KS9hhNmmWOoWu0XTYJS7CA="),
        ("com_github_stretchr_objx", "github.com/stretchr/objx", "v0.5.2", "h1:xuMeJ0Sdp5ZMRXx/aWO6RZxdr3beISkG5/G/aIRr3pY="),
    ]:
        maybe(
            go_repository,
            name = name,
            importpath = importpath,
            version = version,
            sum = sum,
            # gazelle cannot see repositories declared in a macro, so say
            # where testify's imports live.
            build_directives = [
                "gazelle:resolve go %s %s" % (imp, label)
                for imp, label in _TESTIFY_IMPORTS
            ] if name == "com_github_stretchr_testify" else [],
        )

def ldwrap_setup():
    """Declares the Go modules, registers a Go SDK and rules_go's and gazelle's dependencies."""

    # Before go_rules_dependencies(): rules_go declares its own x/sys, and
    # the first declaration wins.
    ldwrap_go_repositories()
    go_rules_dependencies()
    if GO_SDK_PATH:
        maybe(go_local_sdk, name = "go_sdk", path = GO_SDK_PATH)
        go_register_toolchains()
    elif not native.existing_rule("go_sdk"):
        go_register_toolchains(version = GO_VERSION)
    gazelle_dependencies()

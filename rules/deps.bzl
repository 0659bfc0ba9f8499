"""First step of using ldwrap from a WORKSPACE: the repositories its rules need.

    load("@ldwrap//rules:deps.bzl", "ldwrap_dependencies")
    ldwrap_dependencies()
    load("@ldwrap//rules:setup.bzl", "ldwrap_setup")
    ldwrap_setup()

Repositories you already declare (io_bazel_rules_go, bazel_gazelle) win: each
declaration here is skipped when a repository of that name exists.
"""

load("@bazel_tools//tools/build_defs/repo:utils.bzl", "maybe")
load("//rules/private:go_module.bzl", "go_module")
load("//rules/private:config.bzl", "ldwrap_config")

RULES_GO_VERSION = "v0.34.0"
GAZELLE_VERSION = "v0.26.0"

def ldwrap_dependencies():
    """Declares rules_go, gazelle and ldwrap's configuration repository."""
    maybe(
        go_module,
        name = "io_bazel_rules_go",
        module = "github.com/bazelbuild/rules_go",
        version = RULES_GO_VERSION,
        sum = "h1:cmObMtgIOaEU944SqXtJ9DnlS8IPGGa7pdRnsrpQzXM=",
    )
    maybe(
        go_module,
        name = "bazel_gazelle",
        module = "github.com/bazelbuild/bazel-gazelle",
        version = GAZELLE_VERSION,
        sum = "h1:/gh8S450+nfr3wYI6bTYEi297obbVcMObavhPuB7LVo=",
        vendor = True,
    )
    maybe(ldwrap_config, name = "ldwrap_config")

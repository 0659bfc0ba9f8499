"""ldwrap_config: choices that only a repository rule can read from the environment."""

def _ldwrap_config_impl(rctx):
    # LDWRAP_GO_SDK names a local Go SDK (a GOROOT with precompiled packages),
    # for machines that cannot download one. `go run mage.go bazel:setup` sets
    # it with --repo_env in /etc/bazel.bazelrc; elsewhere it is unset and
    # rules_go downloads its SDK.
    sdk = rctx.os.environ.get("LDWRAP_GO_SDK", "")
    rctx.file("BUILD.bazel", "")
    rctx.file("config.bzl", "GO_SDK_PATH = %r\n" % sdk)

ldwrap_config = repository_rule(
    implementation = _ldwrap_config_impl,
    doc = "Writes config.bzl with GO_SDK_PATH from the LDWRAP_GO_SDK environment variable.",
    environ = ["LDWRAP_GO_SDK"],
)

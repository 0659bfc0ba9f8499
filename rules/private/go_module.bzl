"""A repository rule that fetches a Go module with `go mod download`.

rules_go and gazelle are Go modules. Fetching them through the Go module proxy,
checked against a pinned go.sum hash, keeps one source of truth and works
wherever `go` can reach a module proxy, including machines that reach nothing
else.
"""

def _go_module_impl(rctx):
    go = rctx.which("go")
    if not go:
        fail("ldwrap: fetch %s: no `go` on PATH; install Go (https://go.dev/dl/)" % rctx.attr.module)
    env = {"GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", "GO111MODULE": "on"}
    res = rctx.execute(
        [go, "mod", "download", "-json", "%s@%s" % (rctx.attr.module, rctx.attr.version)],
        environment = env,
        timeout = 900,
    )
    if res.return_code != 0:
        fail("ldwrap: fetch %s@%s: %s%s" % (rctx.attr.module, rctx.attr.version, res.stdout, res.stderr))
    info = json.decode(res.stdout)
    if info.get("Sum") != rctx.attr.sum:
        fail("ldwrap: fetch %s@%s: checksum %s, want %s" % (rctx.attr.module, rctx.attr.version, info.get("Sum"), rctx.attr.sum))

    # The module cache is read-only; the repository gets a writable copy.
    for cmd in [["cp", "-R", info["Dir"] + "/.", "."], ["chmod", "-R", "u+w", "."]]:
        res = rctx.execute(cmd)
        if res.return_code != 0:
            fail("ldwrap: copy %s: %s" % (rctx.attr.module, res.stderr))
    if rctx.attr.vendor:
        # Module zips drop vendor/, and gazelle builds its repository tools in
        # GOPATH mode, which needs it.
        res = rctx.execute([go, "mod", "vendor"], environment = env, timeout = 900)
        if res.return_code != 0:
            fail("ldwrap: go mod vendor in %s: %s" % (rctx.attr.module, res.stderr))
    for f, content in rctx.attr.files.items():
        rctx.file(f, content)

go_module = repository_rule(
    implementation = _go_module_impl,
    doc = "Fetches a Go module with `go mod download` and checks it against a go.sum hash.",
    attrs = {
        "module": attr.string(mandatory = True, doc = "The module path, e.g. github.com/bazelbuild/rules_go."),
        "version": attr.string(mandatory = True, doc = "The module version, e.g. v0.34.0."),
        "sum": attr.string(mandatory = True, doc = "The module's go.sum hash (h1:...); a mismatch fails the fetch."),
        "vendor": attr.bool(default = False, doc = "Run `go mod vendor` in the fetched copy."),
        "files": attr.string_dict(doc = "Extra files to write into the repository (path -> content)."),
    },
    environ = ["GOPROXY", "GOPATH", "GOMODCACHE", "GONOSUMDB", "GOPRIVATE", "GOSUMDB", "HOME"],
)

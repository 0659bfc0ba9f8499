"""Bazel rules whose outputs appear atomically: atomic_output and atomic_install.

Both run ldwrap's own commands, built by rules_go from this repository and
declared as tool inputs, so they need nothing from the host and work on
remote executors as well as locally.
"""

_LDWRAP_RUN = Label("//ldwrap/cmd/ldwrap-run")
_LDWRAP_INSTALL = Label("//ldwrap/cmd/ldwrap-install")
_LDWRAP_STALE = Label("//ldwrap/cmd/ldwrap-stale")

def _expand_cmd(ctx, outs):
    """Expands cmd the way genrule does: make variables and $(location).

    Output paths stay as they are. In namespace mode the command writes
    them through an overlay, so they are right as they stand; in argument
    mode ldwrap-run, given each output with -o and --in-text, points every
    whole-word mention of one at its staged path. That is safe here as it
    is not for any command: every mention of a Bazel output path in the
    command is that output.
    """
    srcs = ctx.files.srcs
    subs = {
        "$@": outs[0].path if len(outs) == 1 else "$@",
        "$(OUTS)": " ".join([o.path for o in outs]),
        "$(SRCS)": " ".join([s.path for s in srcs]),
        "$<": srcs[0].path if len(srcs) == 1 else "$<",
        "$(@D)": outs[0].dirname if len(outs) == 1 else ctx.genfiles_dir.path + "/" + ctx.label.package,
        "$(RULEDIR)": ctx.bin_dir.path + "/" + ctx.label.package if ctx.label.package else ctx.bin_dir.path,
    }
    cmd = ctx.attr.cmd.replace("$$", "\0")
    for k, v in subs.items():
        cmd = cmd.replace(k, v)
    cmd = ctx.expand_location(cmd, targets = ctx.attr.srcs + ctx.attr.tools)
    cmd = ctx.expand_make_variables("cmd", cmd, {})
    return cmd.replace("\0", "$")

def _atomic_output_impl(ctx):
    outs = ctx.outputs.outs
    args = ctx.actions.args()
    for o in outs:
        args.add("-o", o.path)
    # For argument mode, where ldwrap-run falls back when namespace mode
    # cannot run (only there is anything rewritten): which one runs is
    # known only where the action runs.
    args.add("--in-text")
    args.add("--")
    args.add_all(["/bin/bash", "-c", _expand_cmd(ctx, outs)])
    tools = [t[DefaultInfo].files_to_run for t in ctx.attr.tools]
    ctx.actions.run(
        executable = ctx.executable._ldwrap_run,
        arguments = [args],
        inputs = ctx.files.srcs,
        tools = tools,
        outputs = outs,
        mnemonic = "AtomicOutput",
        progress_message = "Generating (atomically) %s" % ctx.label,
        use_default_shell_env = True,
    )
    # Runfiles, as genrule's: a test or binary with these outputs in its
    # data finds them at run time.
    return [DefaultInfo(files = depset(outs), runfiles = ctx.runfiles(files = outs))]

atomic_output = rule(
    implementation = _atomic_output_impl,
    doc = """A drop-in for genrule whose outputs appear atomically.

Changing `genrule(` to `atomic_output(` is all it takes. The command runs
with bash under ldwrap-run, which picks its mode where the action runs
(`--action_env=LDWRAP_VERBOSE=1` prints which, and why):

- Namespace mode, where Linux lets it mount an overlay in a private mount
  namespace (Bazel's sandbox and --spawn_strategy=local alike): the
  overlay covers each output's directory, the command sees and writes the
  real paths, and what it wrote under the directory is renamed into place
  only if it succeeds. `cd $(@D) && gen > x` works, and a command that prints or
  records an output's path gives the real one.
- Argument mode, elsewhere (macOS, no user namespaces, a filesystem
  overlayfs cannot stage, a chroot whose mounts are shared,
  `--action_env=LDWRAP_RUN_MODE=args`): each
  output is written into a private directory beside it and renamed into
  place only if the command succeeds. ldwrap-run --in-text replaces each
  whole-word mention of an output path in the command with the staged
  path, quoted or not (a Bazel output path is never other text); a
  command that prints an output's path prints the staged one, and one
  that names an output by no path (`cd $(@D) && gen > x`) fails the
  action with ldwrap-run's one-line error.

Either way a failing or killed command leaves no partial output, even
with --spawn_strategy=local or to tools watching bazel-bin. The make
variables of genrule are supported: $@, $<, $(SRCS), $(OUTS), $(@D),
$(RULEDIR), $(location), $(locations), $(execpath), $(execpaths),
$(rootpath) and the toolchain variables.
""",
    attrs = {
        "srcs": attr.label_list(allow_files = True, doc = "Inputs of the command, as in genrule."),
        "outs": attr.output_list(mandatory = True, doc = "Files the command writes, as in genrule. Each one is committed atomically."),
        "cmd": attr.string(mandatory = True, doc = "The bash command, with genrule's make variables."),
        "tools": attr.label_list(cfg = "exec", allow_files = True, doc = "Tools the command runs, built for the execution platform, as in genrule."),
        "_ldwrap_run": attr.label(default = _LDWRAP_RUN, executable = True, cfg = "exec", doc = "The ldwrap-run tool."),
    },
)

_INSTALL_SCRIPT = """#!/usr/bin/env bash
# Generated by atomic_install: installs files atomically with ldwrap-install.
set -euo pipefail
dest="${1:-%s}"
case "$dest" in
  /*) ;;
  *) dest="${BUILD_WORKING_DIRECTORY:-$PWD}/$dest" ;;
esac
install="%s"
stale="%s"
installed=()
while read -r mode src name; do
  "$install" -D -m "$mode" "$src" "$dest/$name"
  echo "installed $dest/$name"
  installed+=("$dest/$name")
done <<'LDWRAP_FILES'
%sLDWRAP_FILES
# Once, after every file is in place: the processes that still run or map
# an old version, so the user knows what to restart. A report, not a failure.
"$stale" "${installed[@]}" || true
"""

def _atomic_install_impl(ctx):
    lines = []
    files = []
    for t in ctx.attr.srcs:
        exe = t[DefaultInfo].files_to_run.executable
        for f in t[DefaultInfo].files.to_list():
            mode = ctx.attr.mode
            if not mode:
                # A source file is its own "executable" to Bazel; only a
                # rule's executable output counts as a program.
                mode = "0755" if (exe != None and f == exe and not f.is_source) else "0644"
            lines.append("%s %s %s\n" % (mode, f.short_path, f.basename))
            files.append(f)
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(
        output = script,
        content = _INSTALL_SCRIPT % (ctx.attr.dest, ctx.executable._ldwrap_install.short_path, ctx.executable._ldwrap_stale.short_path, "".join(lines)),
        is_executable = True,
    )
    runfiles = ctx.runfiles(files = files + [ctx.executable._ldwrap_install, ctx.executable._ldwrap_stale])
    runfiles = runfiles.merge(ctx.attr._ldwrap_install[DefaultInfo].default_runfiles)
    runfiles = runfiles.merge(ctx.attr._ldwrap_stale[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = script, runfiles = runfiles)]

atomic_install = rule(
    implementation = _atomic_install_impl,
    executable = True,
    doc = """An executable rule that installs its srcs atomically: `bazel run //:install -- DIR`.

Each file is copied beside its destination by ldwrap-install, given its mode
before the rename, and renamed into place: safe over running binaries and
in-use libraries, and unaffected by Bazel's read-only (0555) outputs. A
relative DIR is taken from the directory `bazel run` was started in. After
the last file, ldwrap-stale lists the processes that still run or map an old
version of an installed file (one /proc scan).
""",
    attrs = {
        "srcs": attr.label_list(allow_files = True, mandatory = True, doc = "Files and targets to install; every file of each target's default outputs is installed under its basename."),
        "dest": attr.string(default = "/usr/local/bin", doc = "The destination directory when `bazel run` gets no argument."),
        "mode": attr.string(default = "", doc = "The mode of every installed file (octal, e.g. \"0640\"). Default: 0755 for the executable of a rule (cc_binary, go_binary, sh_binary...), 0644 for other files, source files included."),
        "_ldwrap_install": attr.label(default = _LDWRAP_INSTALL, executable = True, cfg = "target", doc = "The ldwrap-install tool."),
        "_ldwrap_stale": attr.label(default = _LDWRAP_STALE, executable = True, cfg = "target", doc = "The ldwrap-stale tool, run once after the install."),
    },
)

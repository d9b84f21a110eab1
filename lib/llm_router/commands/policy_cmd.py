"""llm-router policy show [--json] | validate [--json] | trust | untrust

`trust` records the real path and sha256 of this project's .claude/llm-router.json in the
data dir, so its settings that need trust take effect (like `direnv allow`); any later edit
needs `trust` again. `untrust` forgets the record.
"""

import json
import sys

from .. import policy, trust


def configure(parser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (("show", "print the merged policy, the files it came from and the project file's trust"),
                       ("validate", "check the merged policy against its schema")):
        action = sub.add_parser(name, help=text)
        action.add_argument("--json", action="store_true", help="print one JSON object")
    sub.add_parser("trust", help="use this project's .claude/llm-router.json as it is now, "
                                 "including settings only a trusted file may change")
    sub.add_parser("untrust", help="forget the trust given to this project's .claude/llm-router.json")


def run(args) -> int:
    if args.action in ("trust", "untrust"):
        return _trust() if args.action == "trust" else _untrust()
    layers = policy.read_layers()
    merged = policy.merge_layers(layers)
    files = [path for path, _raw, _data in layers]
    project = policy.project_verdict or trust.Verdict("absent", policy.layer_paths()[-1][1])
    if args.action == "validate":
        policy.validate(merged, layers)  # always a full check, whatever the cache says
        if args.json:
            print(json.dumps({"valid": True, "files": files, "project_trust": project.as_json()}))
        else:
            print("policy is valid; merged from:\n" + "\n".join(f"  {f}" for f in files))
        return 0
    if args.json:
        print(json.dumps({"files": files, "project_trust": project.as_json(), "policy": merged}, indent=2))
    else:
        print("# merged from: " + ", ".join(files))
        print(f"# project file: {trust_line(project)}")
        print(json.dumps(merged, indent=2))
    return 0


def trust_line(verdict) -> str:
    """One line on the project file's trust state, for `policy show` and `doctor`."""
    if verdict.status == "absent":
        return f"none ({verdict.path} does not exist)"
    if verdict.status == "safe":
        return f"{verdict.path}: used (sets only choices a repository may make; no trust needed)"
    if verdict.status == "unreadable":
        return f"{verdict.path}: unreadable (not a regular JSON file; see the policy check)"
    if verdict.status == "trusted":
        return f"{verdict.path}: used (trusted, sha256 {verdict.sha256[:12]}...)"
    return f"{verdict.path}: IGNORED: {verdict.reason()}"


def _project_file() -> tuple[str, bytes]:
    from ..errors import ConfigError

    path = policy.layer_paths()[-1][1]
    raw = policy.read_layer_file(path)
    if raw is None:
        raise ConfigError(f"{path} does not exist; there is nothing to trust",
                          "run this in the project whose .claude/llm-router.json you want to use",
                          file=path)
    policy.parse_layer(path, raw)  # never record a file that cannot be used anyway
    return path, raw


def _trust() -> int:
    path, raw = _project_file()
    lower = policy.merge_layers([layer for layer in policy.read_layers(quiet=True) if layer[0] != path])
    problems = trust.unsafe_settings(policy.parse_layer(path, raw), lower)
    record = _change(lambda: trust.trust(path, raw))
    print(f"llm-router: trusted {path} (sha256 {record['sha256']}); any edit needs `llm-router policy trust` again")
    if problems:
        print("it may now change: " + trust.describe(problems, limit=len(problems)))
    return 0


def _untrust() -> int:
    path = policy.layer_paths()[-1][1]
    if _change(lambda: trust.untrust(path)):
        print(f"llm-router: no longer trusted: {path}")
    else:
        print(f"llm-router: {path} was not trusted; nothing changed", file=sys.stderr)
    return 0


def _change(action):
    from ..errors import RouterError

    try:
        return action()
    except OSError as exc:
        raise RouterError(f"cannot update {trust.records_path()}: {exc.strerror or exc}",
                          "check that the data dir is writable and retry") from None

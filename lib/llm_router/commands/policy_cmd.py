"""llm-router policy show [--json] | validate [--json]"""

import json

from .. import policy


def configure(parser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (("show", "print the merged policy and the files it came from"),
                       ("validate", "check the merged policy against its schema")):
        action = sub.add_parser(name, help=text)
        action.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    layers = policy.read_layers()
    merged = policy.merge_layers(layers)
    files = [path for path, _raw, _data in layers]
    if args.action == "validate":
        policy.validate(merged, layers)  # always a full check, whatever the cache says
        if args.json:
            print(json.dumps({"valid": True, "files": files}))
        else:
            print("policy is valid; merged from:\n" + "\n".join(f"  {f}" for f in files))
        return 0
    if args.json:
        print(json.dumps({"files": files, "policy": merged}, indent=2))
    else:
        print("# merged from: " + ", ".join(files))
        print(json.dumps(merged, indent=2))
    return 0

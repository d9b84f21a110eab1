"""llm-router export litellm [--out FILE] [--policy]

Writes a LiteLLM proxy config.yaml from the merged policy (gateway/litellm.py builds it):
every model reachable over HTTP, keys as os.environ/VAR, the policy's HTTP-to-HTTP fallbacks,
context-window fallbacks and the budgets LiteLLM has an equivalent for.
--policy prints, instead, the policy fragment that sends those models through the proxy
(endpoints.litellm), and which models stay local and why.
"""

import io
import sys



def configure(parser) -> None:
    parser.add_argument("target", choices=["litellm"], help="what to export to")
    parser.add_argument("--out", metavar="FILE", help="write the config here (default: stdout)")
    parser.add_argument("--policy", action="store_true",
                        help="print the policy fragment pointing tiers and tasks at the proxy")


def to_yaml(config: dict, header: str) -> str:
    try:
        from ruamel.yaml import YAML
    except ImportError as exc:
        from ..errors import MissingDependency

        raise MissingDependency("ruamel.yaml", "writing the LiteLLM config") from exc

    yaml = YAML()
    yaml.default_flow_style = False
    out = io.StringIO()
    out.write(header)
    yaml.dump(config, out)
    return out.getvalue()


def run(args) -> int:
    from ..gateway import litellm
    from ..invocation import load_policy

    policy = load_policy()
    if args.policy:
        fragment, local = litellm.policy_fragment(policy)
        print(_pretty(fragment))
        for key, reason in local.items():
            print(f"stays local: {key}: {reason}", file=sys.stderr)
        return 0
    config, notes = litellm.proxy_config(policy)
    text = to_yaml(config, "".join(f"# {line}\n" for line in notes))
    if args.out:
        from ..io.fileio import atomic_write_bytes

        atomic_write_bytes(args.out, text.encode("utf-8"), 0o644)  # no secrets: env names only
    else:
        sys.stdout.write(text)
    return 0


def _pretty(obj) -> str:
    import json

    return json.dumps(obj, indent=2)

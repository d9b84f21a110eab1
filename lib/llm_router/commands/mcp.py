"""llm-router mcp [--scope read-only|write]

The stdio MCP server the plugin ships (.mcp.json): tools `ask`, `consensus` and `digest` (mcp_server/).
External mode does not gate `ask` (calling it is an explicit request); the ledger, budgets,
the scope and the external-model indicator apply as for `invoke`. --scope write lets the
external model change files in the project; the default is read-only.
"""

from ..providers.base import SCOPES


def configure(parser) -> None:
    parser.add_argument("--scope", choices=SCOPES, default="read-only",
                        help="what `ask` lets the external model do in the project (default read-only)")


def run(args) -> int:
    from ..mcp_server.server import serve
    from ..mcp_server.tools import Server

    serve(Server(scope=args.scope))
    return 0

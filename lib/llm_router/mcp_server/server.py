"""The stdio MCP server on the official MCP Python SDK (`mcp`, in the plugin's venv). Only
`llm-router mcp` imports this module, so no other command pays for the SDK.

The low-level Server is used rather than the decorator API so that the tool schemas are
exactly the small ones in tools.py (the decorator API would generate larger ones from type
hints). Model calls block, so they run in a worker thread.
"""

from __future__ import annotations

from .. import __version__
from ..errors import MissingDependency
from .tools import TOOLS, Server


def serve(behaviour: Server) -> None:
    try:
        import anyio
        import mcp_types as types
        from mcp.server.lowlevel import Server as SDKServer
        from mcp.server.stdio import stdio_server
    except ImportError as exc:
        raise MissingDependency("mcp", "the MCP server (`llm-router mcp`)") from exc

    tools = [types.Tool(name=t["name"], description=t["description"], input_schema=t["inputSchema"])
             for t in TOOLS]

    async def list_tools(_ctx, _params) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(_ctx, params) -> types.CallToolResult:
        text, is_error = await anyio.to_thread.run_sync(behaviour.call, params.name, params.arguments)
        return types.CallToolResult(content=[types.TextContent(text=text)], is_error=is_error)

    server = SDKServer("llm-router", version=__version__, on_list_tools=list_tools,
                       on_call_tool=call_tool)

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(main)

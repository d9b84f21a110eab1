"""Drive `llm-router mcp` with the official SDK's client over stdio, in a process of its own
(the SDK adds ~40 MiB to whatever imports it; keeping it out of pytest's process keeps the
memory-bound tests' forked children honest).

    python mcp_client.py < {"command": ..., "env": {...}, "cwd": ..., "calls": [[name, args], ...]}
    -> {"tools": [{name, description, inputSchema}], "results": [{"text", "is_error"}]}
"""

import asyncio
import json
import sys


async def main(spec: dict) -> dict:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    params = StdioServerParameters(command=spec["command"], args=["mcp"], env=spec["env"],
                                   cwd=spec["cwd"])
    async with Client(params) as client:
        listed = await client.list_tools()
        results = []
        for name, arguments in spec["calls"]:
            result = await client.call_tool(name, arguments)
            results.append({"text": "".join(getattr(c, "text", "") for c in result.content),
                            "is_error": result.is_error})
    tools = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in listed.tools]
    return {"tools": tools, "results": results}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(asyncio.wait_for(main(json.load(sys.stdin)), 90))))

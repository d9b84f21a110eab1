"""A fake `copilot` CLI that records what it was given and answers like the real one
(JSON Lines on stdout), for tests that run the whole delegate path: unit tests through a real
/bin/sh and the e2e tests through the real `claude`.

    log = install(folder)        # writes folder/copilot; returns the calls log path
    calls(log)                   # [{"argv": [...], "stdin": b"...", "cwd": "..."}], byte exact

FAKE_COPILOT_FAIL=1 in its environment makes it fail as an expired login does.
"""

import base64
import json
import os
import stat
import sys

SCRIPT = r'''
import base64, json, os, sys
args = sys.argv[1:]
prompt = sys.stdin.buffer.read()
with open(os.environ["FAKE_COPILOT_LOG"], "a") as log:
    log.write(json.dumps({"argv": args, "cwd": os.getcwd(),
                          "stdin_b64": base64.b64encode(prompt).decode()}) + "\n")
model = args[args.index("--model") + 1]
def emit(kind, data):
    print(json.dumps({"type": kind, "data": data, "id": "x", "timestamp": "2026-11-22T00:00:00Z"}), flush=True)
emit("user.message", {"content": prompt.decode("utf-8", "replace")})
if os.environ.get("FAKE_COPILOT_FAIL"):
    emit("session.error", {"errorType": "authentication", "statusCode": 401,
                           "message": "Authentication failed with provider (HTTP 401)."})
    print(json.dumps({"type": "result", "exitCode": 1, "sessionId": "s"}), flush=True)
    sys.exit(1)
emit("assistant.message", {"content": f"EXTERNAL-ANSWER from {model}: the repo has 3 modules.", "model": model})
print(json.dumps({"type": "result", "exitCode": 0, "sessionId": "s",
                  "usage": {"premiumRequests": 1, "totalApiDurationMs": 5}}), flush=True)
if "--usage-output-file" in args:
    with open(args[args.index("--usage-output-file") + 1], "w") as out:
        json.dump({"totalPremiumRequestCost": 1, "modelMetrics": {model: {"requests": {"count": 1, "cost": 1},
                   "usage": {"inputTokens": 40, "outputTokens": 9, "cacheReadTokens": 0, "cacheWriteTokens": 0}}}}, out)
'''


def install(folder) -> str:
    """Write `copilot` into `folder` (put it first on PATH); return the log path to pass as
    FAKE_COPILOT_LOG."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "copilot")
    with open(path, "w") as handle:
        handle.write(f"#!{sys.executable}\n{SCRIPT}")
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return os.path.join(folder, "copilot-calls.jsonl")


def calls(log) -> list[dict]:
    if not os.path.exists(log):
        return []
    out = []
    with open(log) as handle:
        for line in handle:
            call = json.loads(line)
            call["stdin"] = base64.b64decode(call.pop("stdin_b64"))
            out.append(call)
    return out

"""consensus and review as background jobs: the job worker (jobs/worker.py) calls run() with
the request `consensus/review --background` stored, and keeps what the foreground command
would have printed (and its exit code) as the job's answer."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def run(request: dict, on_text: Callable[[str], None]) -> dict:
    if request["kind"] == "consensus":
        from . import consensus

        report = consensus.run(request["prompt"], request["models"], request["timeout_s"],
                               request.get("synthesize"), request.get("cwd"))
        rendered = consensus.render(report)
    else:
        from . import review

        report = review.run(request)
        rendered = review.render(report)
    on_text(rendered)
    return {"kind": request["kind"], "report": report, "rendered": rendered,
            "exit_code": report["exit_code"], "model": ",".join(request.get("models") or []),
            "external": True}

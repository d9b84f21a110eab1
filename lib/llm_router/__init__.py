"""llm-router: hand work from Claude Code to external models through their own CLIs and APIs.

Modules are small and imported on demand; hooks and the mode/route hot path use only the
standard library (see paths.py, state.py, hooks/protocol.py).
"""

__version__ = "0.1.0"

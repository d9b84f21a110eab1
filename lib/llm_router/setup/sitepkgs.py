"""The venv's site-packages, added only when a third-party package is about to be imported.

bin/llm-router and the hooks start Python with -S: the `site` module and the .pth files a
venv carries (setuptools' `_distutils_hack` among them) cost about 4 ms of every cold start,
and the hot paths (invoke, mode, route, hooks) need only the standard library. The few
places that import jsonschema, jq, ruamel.yaml or python-frontmatter call `enable()` first;
cli.py calls it up front for the commands that are not on a hot path.
"""

import sys


def enable() -> None:
    """Run site.main() once if the interpreter started without it (a no-op otherwise)."""
    if not sys.flags.no_site or "site" in sys.modules:
        return
    import site

    site.main()

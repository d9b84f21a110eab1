"""A fast path in front of argparse for the commands Claude Code waits on (invoke, delegate).

`import argparse` costs about 7 ms of a cold call (it pulls in `re` and `gettext`), more than
a quarter of the router's whole overhead budget. The common command lines are plain: known
long options with a value or none. For those, `parse()` builds the same attributes argparse
would; for anything else (help, an unknown or abbreviated option, a bad choice or number, a
value that starts with "-", two options of one exclusive group, a missing required option) it
returns None and argparse parses the command line as usual, with its own messages. A test
checks, over many command lines, that a fast parse equals argparse's result.

A spec maps each option string to (dest, kind): kind is "flag" (store_true), "off"
(store_false), "value", a tuple
of allowed values, or a callable that converts the value and raises ValueError to reject it.
Only long options take an inline "=value" (argparse's handling of "-p=x" varies by version).
"""


class Namespace:
    """The attributes argparse would set (argparse.Namespace without the import)."""

    def __init__(self, **values) -> None:
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"Namespace({self.__dict__!r})"


def parse(argv: list[str], spec: dict, defaults: dict, required: tuple = (),
          exclusive: tuple = ()) -> Namespace | None:
    """Attributes for `argv` (the arguments after the command name), or None to use argparse."""
    values = dict(defaults)
    seen = set()
    i = 0
    while i < len(argv):
        option, has_inline, inline = argv[i].partition("=")
        if has_inline and not option.startswith("--"):
            return None
        entry = spec.get(option)
        if entry is None:
            return None  # a positional, -h, an abbreviation, an unknown option: argparse's job
        dest, kind = entry
        if kind in ("flag", "off"):
            if has_inline:
                return None
            values[dest] = kind == "flag"
        else:
            if has_inline:
                raw = inline
            elif i + 1 < len(argv):
                i += 1
                raw = argv[i]
            else:
                return None
            # "--opt -x": argparse decides whether -x is a value or an option; "--opt=-x" is a value
            if (not has_inline and raw.startswith("-")) or not _accept(kind, raw, values, dest):
                return None
        seen.add(dest)
        i += 1
    if any(dest not in seen for dest in required):
        return None
    if any(sum(dest in seen for dest in group) > 1 for group in exclusive):
        return None
    return Namespace(**values)


def _accept(kind, raw: str, values: dict, dest: str) -> bool:
    if isinstance(kind, tuple):
        if raw not in kind:
            return False
        values[dest] = raw
    elif callable(kind):
        try:
            values[dest] = kind(raw)
        except ValueError:
            return False
    else:
        values[dest] = raw
    return True

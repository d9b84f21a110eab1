"""JSON for the hot path, without `import json`.

`import json` pulls in `re` and compiles its patterns, which doubled a hook's cold start here
(about 13 ms on a 12 ms interpreter start). The standard library's own C scanner and encoder
in `_json` do the actual work for `json` anyway; this module drives them directly, and falls
back to `json` on interpreters without `_json`. Errors are ValueError, as with json.loads.
"""

try:
    import _json
except ImportError:  # pragma: no cover - PyPy and other interpreters
    _json = None


class _Context:
    # The attributes the C scanner reads from a json.JSONDecoder instance.
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = float  # NaN / Infinity / -Infinity, as json.loads accepts them
    memo: dict = {}


_WHITESPACE = " \t\n\r"

if _json is not None:
    _scan = _json.make_scanner(_Context())
    _encode = _json.make_encoder(None, None, _json.encode_basestring_ascii, None,
                                 ": ", ", ", False, False, True)


def loads(text: "str | bytes"):
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8")  # UnicodeDecodeError is a ValueError
    if _json is None:
        import json

        return json.loads(text)
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration as exc:
        raise ValueError(f"invalid JSON at position {exc.value}") from None
    except SystemError:
        # Some errors ('{bad') make the C scanner raise json.decoder.JSONDecodeError, which it
        # finds only once `json` is imported; without it, a SystemError. json gives the real one.
        import json

        return json.loads(text)
    if text[end:].strip(_WHITESPACE):
        raise ValueError(f"extra data after JSON value at position {end}")
    return value


def dumps(obj) -> str:
    """Compact, ASCII-only JSON (safe to print whatever the locale)."""
    if _json is None:
        import json

        return json.dumps(obj)
    return "".join(_encode(obj, 0))

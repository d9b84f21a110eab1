"""SHA-256 of a prompt without `import hashlib`, whose OpenSSL binding costs several ms of a
cold start. The builtin `_sha256` (`_sha2` from Python 3.12) computes the same digest."""


def sha256_hex(data: bytes) -> str:
    try:
        from _sha256 import sha256
    except ImportError:
        try:
            from _sha2 import sha256
        except ImportError:
            from hashlib import sha256
    return sha256(data).hexdigest()

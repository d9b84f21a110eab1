"""redact(): secret env values and token shapes become [REDACTED]; and the canary: a planted
secret never reaches any file under the data dir (sqlite bytes included) nor stats output."""

import json
import os
import secrets

import pytest
from conftest import run_cli
from llm_router.redact import MARK, redact, redact_obj, secret_env_values
from llm_router.usage import accounting
from test_chain import fakes  # noqa: F401 - the fixture is used by name


@pytest.mark.parametrize("text, keeps", [
    ("key sk-ant-api03-AbCdEfGh12345678_x", "key "),
    ("sk-proj-AbCdEfGhIjKlMnOpQrStUv", ""),
    ("sk-or-v1-0123456789abcdef0123", ""),
    ("token ghp_ABCDEFGHIJKLMNOPQRSTuvwxyz0123", "token "),
    ("gho_ABCDEFGHIJKLMNOPQRSTuvwxyz0123", ""),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", ""),
    ("xoxb-123456789012-abcdefghijkl", ""),
    ("AIzaSyA-1234567890abcdefghijklmnopqrstu", ""),
    ("Authorization: Bearer abc.def-ghi_jkl", "Authorization: Bearer "),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dGhpcyBpcyBhIHNpZw", ""),
    ("export ZHIPU_API_KEY=0123456789abcdef", "export ZHIPU_API_KEY="),
    ('{"api_key": "zzzzzzzzzzzzzz"}', '{"api_key": "'),
    ("x-api-key: qqqqqqqqqqqqqqqq", "x-api-key: "),
])
def test_known_token_shapes_are_redacted(text, keeps):
    out = redact(text, environ={})
    assert MARK in out and out.startswith(keeps)
    secret = text[len(keeps):].strip('"{} ')
    assert secret not in out


@pytest.mark.parametrize("text", [
    '"input_tokens": 123456789', "MAX_TOKENS=100000000", "sk-learn is a library",
    "author: Jane Example", "Bearer short", "plain prose with no secrets at all",
])
def test_ordinary_text_is_left_alone(text):
    assert redact(text, environ={}) == text


def test_values_of_secret_named_env_vars_are_redacted_whatever_their_shape():
    env = {"MY_SERVICE_PASSWORD": "correct horse battery", "SOME_AUTH_HEADER": "opaque-value-1",
           "ZAI_API_KEY": "x" * 40, "SHORT_TOKEN": "abc", "HOME": "/home/someone-long"}
    out = redact("a correct horse battery, opaque-value-1, " + "x" * 40 + ", abc, /home/someone-long", env)
    assert out == f"a {MARK}, {MARK}, {MARK}, abc, /home/someone-long"


def test_longest_secret_wins_when_one_contains_another():
    env = {"A_KEY": "abcdefgh", "B_KEY": "abcdefgh-and-more"}
    assert secret_env_values(env) == ("abcdefgh-and-more", "abcdefgh")
    assert redact("abcdefgh-and-more", env) == MARK


def test_redact_obj_walks_json_and_keeps_none():
    env = {"X_TOKEN": "tok-1234567890"}
    obj = {"a": ["tok-1234567890", 3, None], "tok-1234567890": {"b": "ok"}}
    assert redact_obj(obj, env) == {"a": [MARK, 3, None], MARK: {"b": "ok"}}
    assert redact(None) is None and redact("") == ""


# ---- canary -------------------------------------------------------------------------------

def _all_bytes_under(folder) -> list[tuple[str, bytes]]:
    found = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                found.append((path, handle.read()))
    return found


def test_canary_secret_never_reaches_the_data_dir_or_stats(data_dir, monkeypatch):
    env_canary = "sk-canary-" + secrets.token_hex(16)          # planted in the environment
    stray_canary = "ghp_" + secrets.token_hex(18)               # only in provider output
    monkeypatch.setenv("OPENAI_API_KEY", env_canary)
    (data_dir / "model-policy.json").write_text(json.dumps(
        {"tracing": {"trace": True, "transcripts": True}}))
    leaky = f"401 Unauthorized for key {env_canary} (gh token {stray_canary})"
    accounting.record({
        "session_id": "sess-1", "task": "default", "tier": "sonnet",
        "requested_model": "zai/glm-4.7", "model_used": "zai/glm-4.7", "provider": "opencode",
        "transport": "cli", "outcome": "error", "error_class": "AuthError",
        "error_message": leaky, "stderr": "stderr: " + leaky, "latency_ms": 120,
        "fallback_position": 0, "prompt": f"use OPENAI_API_KEY={env_canary} please",
        "text": f"sure, your key is {env_canary} and {stray_canary}",
        "provider_session_id": f"ses_{stray_canary}",
    })
    accounting.record({"session_id": "sess-1", "model_used": "zai/glm-4.7", "provider": "opencode",
                       "outcome": "ok", "input_tokens": 100, "output_tokens": 10, "latency_ms": 90,
                       "fallback_position": 1, "prompt": env_canary, "text": "fine"})

    files = _all_bytes_under(data_dir)
    names = [os.path.basename(path) for path, _ in files]
    assert "ledger.sqlite3" in names and "trace.jsonl" in names
    transcripts = [p for p, _ in files if os.sep + "traces" + os.sep in p]
    assert len(transcripts) == 2, names
    for path, blob in files:
        for canary in (env_canary, stray_canary):
            assert canary.encode() not in blob, f"{canary} leaked into {path}"
    assert any(MARK.encode() in blob for path, blob in files if path in transcripts)
    for path in transcripts + [str(data_dir / "trace.jsonl"), str(data_dir / "ledger.sqlite3")]:
        assert os.stat(path).st_mode & 0o777 == 0o600, path

    for args in (["stats"], ["stats", "--json"], ["stats", "--sessions", "--json"], ["stats", "--compact"]):
        proc = run_cli(*args)
        assert proc.returncode == 0, proc.stderr
        for canary in (env_canary, stray_canary):
            assert canary not in proc.stdout + proc.stderr


def test_write_call_reads_the_policy_when_not_given_a_config(data_dir):
    from llm_router.usage import tracing

    tracing.write_call({"model_used": "m"}, "p", "a")
    assert not (data_dir / "trace.jsonl").exists()  # tracing is off by default
    (data_dir / "model-policy.json").write_text(json.dumps(
        {"tracing": {"trace": True, "trace_jsonl_path": "logs/calls.jsonl"}}))
    tracing.write_call({"model_used": "m", "note": "Bearer abcdefghijkl"}, "p", "a")
    line = json.loads((data_dir / "logs" / "calls.jsonl").read_text())
    assert line == {"model_used": "m", "note": f"Bearer {MARK}"}
    assert not (data_dir / "traces").exists()  # transcripts stay off


def test_precomputed_secrets_give_the_same_result(monkeypatch):
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-0123456789-abcdef")
    monkeypatch.setenv("OTHER_API_KEY", "key-abcdefghij-0123")
    text = "a tok-0123456789-abcdef b key-abcdefghij-0123 c sk-proj-AbCdEfGhIjKlMnOpQrStUv"
    assert redact(text, secrets=secret_env_values()) == redact(text)
    assert "tok-0123456789" not in redact(text) and "key-abcdefghij" not in redact(text)


# What an ordinary call puts through redact(): none of it may cost the `re` import.
CLEAN_TEXTS = ["model bench/fake answered in 12 ms", "zai/glm-4.7", "github-copilot/gpt-5.2",
               "opencode", "ServerError", "502 Bad Gateway from https://api.example.com/v1",
               "code-generation", "sonnet", "ses_01HZX3ABCDEF", "premium_requests"]


def test_text_without_secrets_does_not_import_re(tmp_path):
    import subprocess
    import sys

    lib = str(__import__("pathlib").Path(__file__).parents[1] / "lib")
    code = (f"import sys; sys.path.insert(0, {lib!r}); from llm_router.redact import redact;"
            f"outs = [redact(t, {{'GH_TOKEN': 'ghp_ABCDEFGHIJKLMNOPQRSTuvwxyz0123'}}) for t in {CLEAN_TEXTS!r}];"
            f"print(outs == {CLEAN_TEXTS!r}, 're' in sys.modules)")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True False"


# ---- the families a security review found missing ------------------------------------------

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PEM_BODY = "MIIEowIBAAKCAQEA7bq98GDT0xZx4Gq1yNnFt3+0AbCdEfGhIjKlMnOpQrStUvWxYz"


@pytest.mark.parametrize("text, secret", [
    ("error: AKIAIOSFODNN7EXAMPLE is not authorized", "AKIAIOSFODNN7EXAMPLE"),
    ("temporary ASIAY34FZKBOKMUTVV7A expired", "ASIAY34FZKBOKMUTVV7A"),
    (f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
    (f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}", AWS_SECRET),
    (f'{{"SecretAccessKey": "{AWS_SECRET}", "Expiration": "2026"}}', AWS_SECRET),
    ("aws_session_token=IQoJb3JpZ2luX2VjEHAaCXVzLWVhc3QtMSJHMEUCIQ", "IQoJb3JpZ2luX2VjEHAaCXVzLWVhc3QtMSJHMEUCIQ"),
    (f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----", PEM_BODY),
    (f"-----BEGIN PRIVATE KEY-----\\n{PEM_BODY}\\n-----END PRIVATE KEY-----", PEM_BODY),  # JSON-escaped
    (f"read -----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}", PEM_BODY),  # cut off by a tail
    ("charge failed for sk_live_51H8xYzAbCdEfGhIjKlMnOp", "sk_live_51H8xYzAbCdEfGhIjKlMnOp"),
    ("restricted rk_live_51H8xYzAbCdEfGhIjKlMn", "rk_live_51H8xYzAbCdEfGhIjKlMn"),
    ("remote: glpat-xB3n7QvZ9kLmN2pR4sT6 denied", "glpat-xB3n7QvZ9kLmN2pR4sT6"),
    ("HF token hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567"),
    ("//registry.npmjs.org/:_authToken=npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
     "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"),
    ("cannot reach postgres://app:Sup3r-s3cret@db.internal:5432/app", "Sup3r-s3cret"),
    ("redis://:hunter2hunter2@cache:6379/0", "hunter2hunter2"),
    ("https://deploy:tok3n-value@git.example.com/repo.git", "tok3n-value"),
    ("DATABASE_URL=mysql://root@db/app?password=plainpass", "mysql://root@db/app?password=plainpass"),
    ('{"database_url": "sqlite:////srv/secret-name.db"}', "sqlite:////srv/secret-name.db"),
    ("export REDIS_URL=rediss://default:abcdefgh@r:6380", "rediss://default:abcdefgh@r:6380"),
    ("SENTRY_DSN=https://0123456789abcdef@o1.ingest.sentry.io/42", "0123456789abcdef"),
])
def test_the_families_the_review_found_are_redacted(text, secret):
    out = redact(text, environ={})
    assert secret not in out and MARK in out, out


@pytest.mark.parametrize("text", [
    "Asia/Tokyo", "git@github.com:owner/repo.git", "https://api.github.com/repos/x",
    "BASE_URL=https://api.openai.com/v1", "npm install -g @openai/codex@latest",
    "the npm_config_cache folder", "a file named shelf_hf_x", "secret_key: short",
    "-----BEGIN PUBLIC KEY-----", "http://user@host/path",
])
def test_lookalikes_of_the_new_families_are_left_alone(text):
    assert redact(text, environ={}) == text


def test_no_family_reaches_the_ledger_with_tracing_off(data_dir, fakes, capsys):
    """A provider's error message (the ledger's error_message) full of secrets, through the real
    invoke path with tracing off: none of them is anywhere under the data dir afterwards."""
    from llm_router import cli
    from llm_router.errors import ServerError
    from llm_router.usage import ledger
    from test_chain import FakeProvider

    leaked = [secret for _text, secret in LEAKS]
    first, second = ("upstream said: " + " | ".join(text for text, _secret in part)
                     for part in (LEAKS[:5], LEAKS[5:]))
    assert max(len(first), len(second)) < accounting.ERROR_MESSAGE_CHARS  # no secret cut in two
    (data_dir / "model-policy.json").write_text(json.dumps({
        "external_models": {"t/one": {"tier": "sonnet", "via": [{"provider": "copilot", "model": "m"}]}},
        "routing": {"retries": 0}}))
    fakes("copilot", FakeProvider("copilot", [ServerError(first, provider="copilot"),
                                              ServerError(second, provider="copilot")]))
    for _ in range(2):
        assert cli.main(["invoke", "--model", "t/one", "-p", "hi"]) == 1
    capsys.readouterr()
    ledger.drain_journal()
    conn = ledger.connect(create=False)
    try:
        stored = [r[0] for r in conn.execute("SELECT error_message FROM calls")]
    finally:
        conn.close()
    assert len(stored) == 2 and all(text.startswith("upstream said: ") and MARK in text
                                    for text in stored), stored
    for path, blob in _all_bytes_under(data_dir):
        for secret in leaked:
            assert secret.encode() not in blob, f"{secret} leaked into {path}"


LEAKS = [
    ("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    (f"aws_secret_access_key={AWS_SECRET}", AWS_SECRET),
    (f"-----BEGIN EC PRIVATE KEY-----\n{PEM_BODY}\n-----END EC PRIVATE KEY-----", PEM_BODY),
    ("sk_live_51H8xYzAbCdEfGhIjKlMnOp", "sk_live_51H8xYzAbCdEfGhIjKlMnOp"),
    ("glpat-xB3n7QvZ9kLmN2pR4sT6", "glpat-xB3n7QvZ9kLmN2pR4sT6"),
    ("hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567"),
    ("npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"),
    ("postgres://app:Sup3r-s3cret@db:5432/app", "Sup3r-s3cret"),
    ("DATABASE_URL=mysql://root@db/app?password=plainpass", "password=plainpass"),
]

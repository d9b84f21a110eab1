"""llm-router review end to end: a git repository with a known diff, fake reviewers
(tests/mocks/fake_models.py) answering fenced, plain and malformed findings."""

import json
import os
import subprocess

import pytest
from conftest import BIN
from llm_router.opinions import diffinput, findings
from mocks.fake_models import fake_models_env, policy_for, recorded

BEFORE = "".join(f"line {n}\n" for n in range(1, 41))
AFTER_APP = BEFORE.replace("line 12\n", "query = 'SELECT * FROM t WHERE id=' + user_id\n") \
                  .replace("line 30\n", "open(path).read()\n")
R1 = """Here is my review.

```json
{"findings": [
  {"file": "app.py", "line_start": 12, "line_end": 12, "severity": "critical",
   "title": "SQL injection in query", "rationale": "user_id is concatenated", "suggested_fix": "bind it"},
  {"file": "app.py", "line_start": 30, "line_end": 30, "severity": "low",
   "title": "File handle never closed", "rationale": "leaks", "suggested_fix": "use with"}
]}
```

Let me know if you want more detail."""
R2 = json.dumps({"findings": [
    {"file": "app.py", "line_range": [11, 13], "severity": "major", "title": "SQL injection in the query",
     "rationale": "string concatenation", "fix": "parameters"},
    {"file": "util.py", "line": 3, "severity": "medium", "title": "Division by zero when n is 0",
     "rationale": "n unchecked", "suggested_fix": "guard"}]})
R3 = "I think the change looks fine overall, but {findings: maybe later"


def git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@example.com")
    git(root, "config", "user.name", "t")
    (root / "app.py").write_text(BEFORE)
    (root / "util.py").write_text("def f(n):\n    return 1\n")
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    git(root, "checkout", "-qb", "feature")
    (root / "app.py").write_text(AFTER_APP)
    git(root, "commit", "-qam", "feature")
    (root / "util.py").write_text("def f(n):\n    return 1\n    return 10 / n\n")  # uncommitted
    return root


@pytest.fixture
def env(tmp_path, data_dir):
    (data_dir / "model-policy.json").write_text(json.dumps(policy_for(["r1", "r2", "r3"])))

    def make(plan: dict) -> dict:
        return {**os.environ, **fake_models_env(tmp_path, plan)}

    return make


def review(env: dict, repo, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), "review", *args], env=env, cwd=repo, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_two_reviewers_findings_are_merged_ranked_and_counted(env, repo):
    plan = {"r1": {"text": R1, "delay": 0.3}, "r2": {"text": R2}, "r3": {"text": R3}}
    out = review(env(plan), repo, "--base", "main", "--models", "f/r1,f/r2,f/r3", "--fail-on", "critical")
    assert out.returncode == 3, out.stderr
    table = out.stdout.splitlines()
    header = next(i for i, line in enumerate(table) if line.startswith("#  SEVERITY"))
    rows = [line.split(None, 4) for line in table[header + 1:header + 4]]
    assert rows == [["1", "critical", "2/3", "app.py:11-13", "SQL injection in query"],
                    ["2", "medium", "1/3", "util.py:3", "Division by zero when n is 0"],
                    ["3", "low", "1/3", "app.py:30", "File handle never closed"]]
    assert "(f/r1, f/r2)" in out.stdout
    assert "[External: f/r3]: no findings JSON in its answer; raw answer:" in out.stdout
    assert "    I think the change looks fine overall" in out.stdout


def test_the_reviewers_get_the_diff_read_only_and_json_has_the_shape(env, repo):
    fake = env({"r1": {"text": R1}, "r2": {"text": R2}})
    out = review(fake, repo, "--models", "f/r1,f/r2", "--json")  # base: main, found without --base
    report = json.loads(out.stdout)
    assert out.returncode == 3 and report["base"] == "main" and report["shards"] == 1
    assert sorted(report["files"]) == ["app.py", "util.py"]
    top = report["findings"][0]
    assert set(top) >= {"file", "line_start", "line_end", "severity", "title", "rationale", "suggested_fix",
                        "models"}
    assert (top["severity"], top["models"]) == ("critical", ["f/r1", "f/r2"])
    requests = recorded(fake)
    assert len(requests) == 2 and all(r["scope"] == "read-only" for r in requests)
    prompt = requests[0]["prompt"]
    assert "+query = 'SELECT * FROM t WHERE id=' + user_id" in prompt and "+    return 10 / n" in prompt
    assert " line 2\n" in prompt  # ten lines of context around the change at line 12


def test_no_finding_at_or_above_fail_on_exits_0(env, repo):
    out = review(env({"r2": {"text": R2}}), repo, "--models", "f/r2", "--fail-on", "critical")
    assert out.returncode == 0, out.stdout


def test_only_unreadable_reviewers_is_a_failure_not_a_clean_review(env, repo):
    out = review(env({"r3": {"text": R3}}), repo, "--models", "f/r3")
    assert out.returncode == 1 and "not a clean review" in out.stdout


def test_an_over_budget_diff_is_sharded_by_file_and_says_so(env, repo):
    (repo / "big.py").write_text("".join(f"value_{n} = {n}\n" for n in range(400)))
    fake = env({"r2": {"text": R2}})
    out = review(fake, repo, "--models", "f/r2", "--untracked", "--budget", "2000", "--json")
    report = json.loads(out.stdout)
    assert report["shards"] > 2 and "over the 2000-character budget" in report["sharding"]
    prompts = [r["prompt"] for r in recorded(fake)]
    assert len(prompts) == report["shards"]
    sent = "".join(prompts)
    for n in range(400):  # nothing was dropped
        assert f"+value_{n} = {n}\n" in sent
    assert all("diff --git" in p for p in prompts)
    text = review(fake, repo, "--models", "f/r2", "--untracked", "--budget", "2000")
    assert "Note: the diff is" in text.stdout and "reviewed in" in text.stdout


def test_a_missing_base_ref_is_a_clear_usage_error(env, repo):
    out = review(env({}), repo, "--base", "no-such-branch", "--models", "f/r1")
    assert out.returncode == 2
    assert "--base no-such-branch: no such branch, tag or commit" in out.stderr and "fix:" in out.stderr
    out = review(env({}), repo, "--base", "--output=/tmp/x", "--models", "f/r1")
    assert out.returncode == 2


def test_outside_a_repository_is_a_usage_error(env, tmp_path):
    out = review(env({}), tmp_path, "--models", "f/r1")
    assert out.returncode == 2 and "not inside a git repository" in out.stderr


def test_no_change_means_no_model_is_called(env, repo):
    git(repo, "checkout", "-q", "--", "util.py")
    fake = env({})
    out = review(fake, repo, "--base", "HEAD", "--models", "f/r1")
    assert out.returncode == 0 and "No changes to review." in out.stdout and recorded(fake) == []


def test_review_in_the_background(env, repo):
    fake = env({"r1": {"text": R1}})
    out = review(fake, repo, "--models", "f/r1", "--background", "--json")
    job = json.loads(out.stdout)["id"]
    got = subprocess.run([str(BIN), "jobs", "result", job, "--wait", "30"], env=fake, capture_output=True,
                         text=True, timeout=60)
    assert got.returncode == 3 and "SQL injection in query" in got.stdout


@pytest.mark.parametrize("text, titles", [
    (R1, ["SQL injection in query", "File handle never closed"]),
    ("[{\"title\": \"bare list\", \"file\": \"x\", \"lines\": \"4-2\"}] trailing words", ["bare list"]),
    ("prose {not json} then {\"findings\": []} end", []),
])
def test_parse_is_tolerant(text, titles):
    parsed = findings.parse(text)
    assert [f["title"] for f in parsed] == titles
    if titles == ["bare list"]:
        assert (parsed[0]["line_start"], parsed[0]["line_end"]) == (2, 4)


def test_parse_gives_none_without_findings_json():
    assert findings.parse(R3) is None and findings.parse("") is None


def test_shard_keeps_every_character_of_a_huge_single_line():
    files = [("min.js", "diff --git a/min.js b/min.js\n@@ -1 +1 @@\n+" + "x" * 5000 + "\n")]
    shards = diffinput.shard(files, 1200)
    assert "".join(t for s in shards for _p, t in s).count("x") == 5000


def test_staged_reviews_only_the_index(env, repo):
    (repo / "staged.py").write_text("x = 1\n")
    git(repo, "add", "staged.py")
    fake = env({"r2": {"text": R2}})
    report = json.loads(review(fake, repo, "--models", "f/r2", "--staged", "--json").stdout)
    assert report["files"] == ["staged.py"] and report["mode"] == "staged changes"
    with_base = json.loads(review(fake, repo, "--models", "f/r2", "--staged", "--base", "main", "--json").stdout)
    assert sorted(with_base["files"]) == ["app.py", "staged.py"]  # util.py's change is not staged


def test_a_diff_past_the_shard_cap_stops_with_a_way_to_narrow_it(env, repo):
    (repo / "huge.py").write_text("".join(f"v{n} = {n}\n" for n in range(20000)))
    out = review(env({}), repo, "--models", "f/r1", "--untracked", "--budget", "1000")
    assert out.returncode == 2 and "more than 16 parts" in out.stderr and "--paths" in out.stderr

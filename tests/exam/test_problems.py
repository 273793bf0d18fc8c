import gzip
import hashlib
import json
import re
from importlib import resources
from pathlib import Path

import pytest

from osmckp_env.exam.problems import gsm8k_final_answer, load_pool

DATA = resources.files("osmckp_env") / "data"


def _sources_table():
    text = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    return {
        m.group(1): (int(m.group(2)), m.group(3))
        for m in re.finditer(r"^\| (\S+\.jsonl) \| (\d+) \| \d+ \| ([0-9a-f]{64}) \|", text, re.M)
    }


@pytest.mark.parametrize(
    "name",
    [
        "gsm8k/test.jsonl",
        "gsm8k/train.jsonl",
        "math/test.jsonl",
        "math/train.jsonl",
        "aime/aime_2022.jsonl",
        "aime/aime_2023.jsonl",
        "aime/aime_2024.jsonl",
        "aime/aime_2025.jsonl",
        "aime/aime_1983_2023.jsonl",
    ],
)
def test_bundled_file_matches_sources_hash(name):
    rows, sha = _sources_table()[name]
    raw = gzip.decompress((DATA / (name + ".gz")).read_bytes())
    assert hashlib.sha256(raw).hexdigest() == sha
    assert raw.count(b"\n") == rows


def test_eval_pools_sizes():
    assert len(load_pool("eval", "easy")) == 1319
    assert len(load_pool("eval", "medium")) == 500
    assert len(load_pool("eval", "hard")) == 30
    # 2 rebuilt MATH-train rows have no answer and are dropped
    assert len(load_pool("train", "medium")) == 11998
    assert len(load_pool("train", "hard")) == 90


def test_records_are_normalised():
    p = load_pool("eval", "easy")[0]
    assert (p.answer, p.tier, p.source) == ("18", "easy", "gsm8k")
    m = load_pool("eval", "medium")[0]
    assert m.answer == "\\left( 3, \\frac{\\pi}{2} \\right)" and m.level == 2
    a = load_pool("eval", "hard")[0]
    assert (a.answer, a.tier) == ("70", "hard")
    assert len({x.id for x in load_pool("train", "easy")}) == 7473


def test_gsm8k_answer_strips_commas():
    assert gsm8k_final_answer("blah\n#### 1,234") == "1234"
    with pytest.raises(ValueError, match="####"):
        gsm8k_final_answer("no marker")


def test_unknown_tier_suggests():
    with pytest.raises(KeyError, match="Did you mean 'hard'"):
        load_pool("eval", "harder")


BUNDLED = sorted(str(p.relative_to(DATA)) for p in Path(str(DATA)).rglob("*.jsonl.gz"))
# what a JSON escape leaves of a LaTeX command whose backslash was eaten: "\t" + "riangle" became
# a tab + "riangle" (\f, \b, \r become control characters, caught by the first check)
_LOST_T = re.compile(r"\t(?:riangle|imes|ext|heta|au|an|ilde|frac|op|o\b|hinspace|riangleq|extbf|extit)")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_every_pool_is_listed_in_sources_and_checked():
    assert set(BUNDLED) == {n + ".gz" for n in _sources_table()}
    assert "aime/aime_1983_2023.jsonl.gz" in BUNDLED


@pytest.mark.parametrize("name", BUNDLED)
def test_no_control_characters_or_lost_latex_backslashes(name):
    raw = gzip.decompress((DATA / name).read_bytes()).decode("utf-8")
    for lineno, line in enumerate(raw.splitlines(), 1):
        for text in _strings(json.loads(line)):
            bad = sorted({hex(ord(c)) for c in text if ord(c) < 32 and c not in "\n\t"})
            assert not bad, f"{name}:{lineno}: control characters {bad} (a LaTeX backslash lost to a JSON escape?)"
            m = _LOST_T.search(text)
            assert m is None, f"{name}:{lineno}: tab + {m.group(0)[1:]!r} is a LaTeX command that lost its backslash"


def test_the_repaired_problems_read_as_latex():
    hard = {p.id: p.problem for p in load_pool("eval", "hard")}
    assert hard["aime-2025-18"].count("\\frac") == 5 and "\\frac" in hard["aime-2025-27"]
    assert "\\triangle" in hard["aime-2025-19"]


def test_extended_aime_pool_is_optional_and_disjoint_from_eval():
    ext = load_pool("train", "hard", extended=True)
    assert len(ext) == 975 and all(p.tier == "hard" and p.answer for p in ext)
    assert not {p.problem for p in ext} & {p.problem for p in load_pool("eval", "hard")}
    with pytest.raises(ValueError, match="only for the train split"):
        load_pool("eval", "hard", extended=True)


def test_notice_names_the_license_of_every_bundled_file():
    notice = (DATA / "NOTICE").read_text(encoding="utf-8")
    top = Path(__file__).resolve().parents[2] / "NOTICE"
    assert notice == top.read_text(encoding="utf-8")
    for name in BUNDLED + ["tokenizers/qwen2.5/tokenizer.json.gz"]:
        assert Path(name).name.split(".")[0] in notice, name
    assert "MIT" in notice and "Apache License 2.0" in notice


def test_nothing_in_the_repository_refers_to_the_projects_shared_folder():
    import subprocess

    root = Path(__file__).resolve().parents[2]
    files = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True).stdout.split()
    if not files:
        pytest.skip("not a git checkout")
    needle = "../" + "shared"
    offenders = [
        f
        for f in files
        if (root / f).is_file() and not f.endswith(".gz") and needle in (root / f).read_text(errors="ignore")
    ]
    assert offenders == []

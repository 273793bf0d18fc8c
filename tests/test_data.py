import gzip
import hashlib
import re
from importlib import resources

import pytest

from osmckp_env.problems import gsm8k_final_answer, load_pool

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
    assert (p.answer, p.difficulty, p.source) == ("18", "easy", "gsm8k")
    m = load_pool("eval", "medium")[0]
    assert m.answer == "\\left( 3, \\frac{\\pi}{2} \\right)" and m.level == 2
    a = load_pool("eval", "hard")[0]
    assert (a.answer, a.difficulty) == ("70", "hard")
    assert len({x.id for x in load_pool("train", "easy")}) == 7473


def test_gsm8k_answer_strips_commas():
    assert gsm8k_final_answer("blah\n#### 1,234") == "1234"
    with pytest.raises(ValueError, match="####"):
        gsm8k_final_answer("no marker")


def test_unknown_tier_suggests():
    with pytest.raises(KeyError, match="Did you mean 'hard'"):
        load_pool("eval", "harder")

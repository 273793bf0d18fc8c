"""MFT data: one level tag per problem, labels the env agrees with, counts within the cap,
exam examples under the smallest budget they fit (CPU, scripted or tiny local model)."""

import pytest

pytest.importorskip("datasets")

import datasets  # noqa: E402

from osmckp_env.backends.scripted import ScriptedBackend  # noqa: E402
from osmckp_env.exam.levels import LEVEL_TAG_RE, LevelBins  # noqa: E402
from osmckp_env.exam.problems import TIERS, load_pool  # noqa: E402
from osmckp_env.exam.suites import Exam  # noqa: E402
from osmckp_env.exam.tokenization import default_counter  # noqa: E402
from osmckp_env.grading.record import score_completion  # noqa: E402
from osmckp_env.training.config import MFTDataConfig  # noqa: E402
from osmckp_env.training.mft_data import make_mft_data  # noqa: E402

ANSWERS = {p.problem.strip(): (p.answer, p.difficulty) for t in TIERS for p in load_pool("train", t)}
PROBLEMS = {p.id: p for t in TIERS for p in load_pool("train", t)}


def tagging_sampler(easy_words=(240, 250)):
    """Writes its own <predicted_level> tag (as the sampling prompt asks) and solves easy problems
    with lengths near the Level-0/1 edge, so a label off by the tag or header would show."""
    calls = {"n": 0}

    def reply(messages, cap):
        calls["n"] += 1
        body = messages[-1]["content"].split("\n\n", 1)[1].strip()
        ans, tier = ANSWERS[body]
        tag = "<predicted_level>Level-0</predicted_level>\n"
        if tier == "easy":
            return tag + "step " * easy_words[calls["n"] % len(easy_words)] + f"\\boxed{{{ans}}}"
        return tag + "\\boxed{NA}"

    return ScriptedBackend(reply)


def _exam_of(row) -> Exam:
    ids = row["problem_id"].split("|")
    return Exam(0, tuple(PROBLEMS[i] for i in ids), row["budget"] or 10**9, "medium")


def test_one_tag_per_problem_and_the_env_gives_back_every_label(tmp_path, grader):
    cfg = MFTDataConfig(spec="x.yaml", out_dir=str(tmp_path), k=2, limit_per_tier=4, n_exam_examples=6)
    make_mft_data(cfg, tagging_sampler(easy_words=(225, 250)), grader=grader, progress=False)
    ds = datasets.load_from_disk(str(tmp_path / "dataset"))
    bins = LevelBins()
    assert {r["kind"] for r in ds} == {"single", "exam"}
    for row in ds:
        target = row["completion"][-1]["content"]
        n = len(row["problem_id"].split("|"))
        assert len(LEVEL_TAG_RE.findall(target)) == n, target[:200]
        rec = score_completion(_exam_of(row), target, counter=default_counter(), bins=bins, grader=grader)
        assert [p["predicted_level"] for p in rec["problems"]] == row["levels"]
        assert [p["actual_level"] for p in rec["problems"]] == row["levels"]
    # near the 256-token edge the header and tag decide the level: both readings occur
    singles = [r for r in ds if r["kind"] == "single" and r["tier"] == "easy"]
    assert {r["level"] for r in singles} == {0, 1}


def test_exam_examples_get_the_smallest_budget_that_fits_and_are_never_cut(tmp_path, grader):
    cfg = MFTDataConfig(spec="x.yaml", out_dir=str(tmp_path), k=1, limit_per_tier=3, n_exam_examples=8, max_tokens=1400)
    # easy solutions of ~300, ~700 and ~1100 tokens: exams fit 512, 1024, or nothing
    st = make_mft_data(cfg, tagging_sampler(easy_words=(300, 700, 1100)), grader=grader, progress=False)
    ds = datasets.load_from_disk(str(tmp_path / "dataset"))
    exams = [r for r in ds if r["kind"] == "exam"]
    counter = default_counter()
    for r in exams:
        n = len(counter.offsets(r["completion"][-1]["content"]))
        assert n <= r["budget"] and (r["budget"] == 512 or n > 512)
        assert r["completion"][-1]["content"].rstrip().endswith("}")  # the last answer is there
    assert st["exam_examples_dropped"]["over_budget"] == 8 - len(exams) > 0
    assert {r["budget"] for r in exams} <= {512, 1024}


def test_sample_token_counts_are_generated_ids_within_the_cap(tmp_path, tiny_checkpoint, grader):
    from osmckp_env.backends import make_backend

    backend = make_backend("transformers", model=str(tiny_checkpoint), device="cpu", batch_size=4)
    cfg = MFTDataConfig(spec="x.yaml", out_dir=str(tmp_path), k=1, limit_per_tier=2, max_tokens=40)
    make_mft_data(cfg, backend, grader=grader, progress=False)
    from osmckp_env.results.io import read_records
    from osmckp_env.training.mft_data import SAMPLE_FIELDS

    recs, _ = read_records(tmp_path / "samples.jsonl", SAMPLE_FIELDS)
    counts = [s["n_tokens"] for r in recs for s in r["samples"]]
    assert counts and all(0 < n <= 40 for n in counts)


def test_changed_config_is_refused_then_overwritten(tmp_path, grader, capsys):
    from osmckp_env.cli import main
    from osmckp_env.results.io import ConfigMismatch

    cfg = MFTDataConfig(spec="x.yaml", out_dir=str(tmp_path), k=1, limit_per_tier=1)
    make_mft_data(cfg, tagging_sampler(), grader=grader, progress=False)
    other = MFTDataConfig(spec="x.yaml", out_dir=str(tmp_path), k=2, limit_per_tier=1)
    with pytest.raises(ConfigMismatch, match="--overwrite"):
        make_mft_data(other, tagging_sampler(), grader=grader, progress=False)
    make_mft_data(other, tagging_sampler(), grader=grader, progress=False, overwrite=True)
    with pytest.raises(SystemExit):
        main(["train", "mft-data", "--help"])
    assert "--overwrite" in capsys.readouterr().out


def test_same_config_and_seed_give_the_same_data(tmp_path, tiny_checkpoint, grader):
    from osmckp_env.backends import make_backend

    rows = []
    for name in ("a", "b"):
        backend = make_backend("transformers", model=str(tiny_checkpoint), device="cpu", batch_size=4)
        cfg = MFTDataConfig(spec="x.yaml", out_dir=str(tmp_path / name), k=2, limit_per_tier=2, max_tokens=24)
        make_mft_data(cfg, backend, grader=grader, progress=False)
        rows.append(datasets.load_from_disk(str(tmp_path / name / "dataset")).to_list())
        from osmckp_env.results.io import read_records
        from osmckp_env.training.mft_data import SAMPLE_FIELDS

        recs, _ = read_records(tmp_path / name / "samples.jsonl", SAMPLE_FIELDS)
        rows.append([s["text"] for r in recs for s in r["samples"]])
    assert rows[0] == rows[2] and rows[1] == rows[3]
    assert len(set(rows[1])) > 1  # the k samples differ: sampling is seeded, not greedy

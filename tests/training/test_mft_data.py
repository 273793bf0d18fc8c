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

ANSWERS = {p.problem.strip(): (p.answer, p.tier) for t in TIERS for p in load_pool("train", t)}
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
    counts = [r["n_tokens"] for r in recs]
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
        rows.append([r["text"] for r in recs])
    assert rows[0] == rows[2] and rows[1] == rows[3]
    assert len(set(rows[1])) > 1  # the k samples differ: sampling is seeded, not greedy


class SeedRecorder:
    """A backend that answers each problem with its gold answer and records every call's seed."""

    def __init__(self):
        self.calls = []

        def gold(messages, cap):
            return f"\\boxed{{{ANSWERS[messages[-1]['content'].split(chr(10) * 2, 1)[1].strip()][0]}}}"

        self.inner = ScriptedBackend(gold)
        self.counter = self.inner.counter

    def generate(self, prompts, *, max_tokens, sampling):
        self.calls.append((len(prompts), sampling.seed))
        return self.inner.generate(prompts, max_tokens=max_tokens, sampling=sampling)


def test_sampling_uses_the_runners_batches_and_seed_rule(tmp_path, grader):
    from osmckp_env.runner.run import sample_seed
    from osmckp_env.training.mft_data import sample_problems, training_problems

    cfg = MFTDataConfig(spec="x.yaml", out_dir=str(tmp_path), k=3, limit_per_tier=3, batch_size=4, seed=5)
    problems = training_problems(cfg)
    backend = SeedRecorder()
    out = sample_problems(cfg, backend, problems, grader=grader, progress=False)
    # 9 problems per sample in batches of at most 4 (4, 4, 1), each batch drawn with its sample's seed
    seeds = [sample_seed(5, j) for j in range(3)]
    assert backend.calls == [(n, s) for s in seeds for n in (4, 4, 1)]
    assert seeds[0] == 5 and len(set(seeds)) == 3
    assert [r["problem_id"] for r in out] == [p.id for p in problems]
    assert all([s["sample"] for s in r["samples"]] == [0, 1, 2] for r in out)
    assert all(s["correct"] for r in out for s in r["samples"])


def test_an_interrupted_sampling_resumes_only_what_is_missing(tmp_path, grader):
    from osmckp_env.runner.run import sample_seed
    from osmckp_env.training.mft_data import sample_problems, training_problems

    cfg = MFTDataConfig(spec="x.yaml", out_dir=str(tmp_path / "a"), k=2, limit_per_tier=2, batch_size=4)
    problems = training_problems(cfg)
    full = sample_problems(cfg, SeedRecorder(), problems, grader=grader, progress=False)

    class Dies(SeedRecorder):
        def generate(self, prompts, **kw):
            if len(self.calls) == 2:
                raise KeyboardInterrupt
            return super().generate(prompts, **kw)

    cut = MFTDataConfig(spec="x.yaml", out_dir=str(tmp_path / "b"), k=2, limit_per_tier=2, batch_size=4)
    with pytest.raises(KeyboardInterrupt):
        sample_problems(cut, Dies(), problems, grader=grader, progress=False)
    again = SeedRecorder()
    resumed = sample_problems(cut, again, problems, grader=grader, progress=False)
    # the two finished batches (sample 0: 4 + 2 problems) are kept; only sample 1 is drawn again
    assert len(problems) == 6 and again.calls == [(4, sample_seed(0, 1)), (2, sample_seed(0, 1))]
    assert resumed == full


def _arith_answerer(messages, cap):
    """A small model's habit: the sum written as a line, never boxed (wrong on the hard tier)."""
    import re

    a, b = map(int, re.findall(r"What is (\d+) \+ (\d+)\?", messages[-1]["content"])[0])
    return f"{a} + {b} = {a + b if a < 100 else a + b + 1}"


def test_unboxed_last_number_boxes_a_right_final_number_and_reject_does_not(tmp_path, grader):
    kw = dict(spec="unused.yaml", k=1, limit_per_tier=2, pool="arith", max_tokens=64, level_edges=(32, 64))
    rejected = make_mft_data(
        MFTDataConfig(out_dir=str(tmp_path / "r"), **kw), ScriptedBackend(_arith_answerer), grader=grader
    )
    assert rejected["solve_rate"] == {"easy": 0.0, "medium": 0.0, "hard": 0.0}
    cfg = MFTDataConfig(out_dir=str(tmp_path / "b"), unboxed="last-number", **kw)
    st = make_mft_data(cfg, ScriptedBackend(_arith_answerer), grader=grader, progress=False)
    assert st["solve_rate"] == {"easy": 1.0, "medium": 1.0, "hard": 0.0}  # the hard tier's sums are wrong
    ds = datasets.load_from_disk(str(tmp_path / "b" / "dataset"))
    easy = [r for r in ds if r["tier"] == "easy"][0]["completion"][0]["content"]
    a, b = map(int, easy.split("\n")[1].split(" = ")[0].split(" + "))
    assert easy.endswith(f"{a} + {b} = {a + b}\n\\boxed{{{a + b}}}")  # the line kept, its number boxed
    assert [r for r in ds if r["tier"] == "hard"][0]["completion"][0]["content"].endswith("\\boxed{NA}")
    # the default hashes as before the field existed; another value is another config
    assert "unboxed" not in MFTDataConfig(**kw).to_dict() and cfg.config_hash != MFTDataConfig(**kw).config_hash
    with pytest.raises(ValueError, match="unboxed"):
        MFTDataConfig(unboxed="guess", **kw)


def test_a_plain_sampling_prompt_draws_the_samples_and_the_examples_keep_the_mft_prompt(tmp_path, grader):
    seen = []

    def answerer(messages, cap):
        seen.append(messages)
        # follows only the plain prompt: under the MFT prompt it rambles past the cap
        if len(messages) == 1 and messages[0]["content"].endswith(" Reply with just the number."):
            return _arith_answerer(messages, cap)
        return "Let me think about this problem step by step " * 20

    kw = dict(spec="unused.yaml", k=1, limit_per_tier=2, pool="arith", max_tokens=64, level_edges=(32, 64),
              unboxed="last-number")  # fmt: skip
    tagged = make_mft_data(MFTDataConfig(out_dir=str(tmp_path / "t"), **kw), ScriptedBackend(answerer), grader=grader)
    assert tagged["solve_rate"] == {"easy": 0.0, "medium": 0.0, "hard": 0.0}
    assert all(m[0]["role"] == "system" for m in seen)  # the MFT prompt, as before
    seen.clear()
    cfg = MFTDataConfig(out_dir=str(tmp_path / "p"), sampling_prompt="{problem} Reply with just the number.", **kw)
    st = make_mft_data(cfg, ScriptedBackend(answerer), grader=grader, progress=False)
    assert st["solve_rate"] == {"easy": 1.0, "medium": 1.0, "hard": 0.0}
    assert [m[0]["content"] for m in seen][0].startswith("What is ") and all(len(m) == 1 for m in seen)
    ds = datasets.load_from_disk(str(tmp_path / "p" / "dataset"))
    for row in ds:  # the examples are posed with the MFT prompt (system + level legend), never the plain one
        assert row["prompt"][0]["role"] == "system" and "<predicted_level>" in row["prompt"][-1]["content"]
        assert "Reply with just the number" not in row["prompt"][-1]["content"]
    easy = [r for r in ds if r["tier"] == "easy"][0]["completion"][0]["content"]
    assert easy.startswith("<predicted_level>Level-0</predicted_level>\n") and "\\boxed{" in easy
    assert "sampling_prompt" not in MFTDataConfig(**kw).to_dict() and cfg.config_hash != MFTDataConfig(**kw).config_hash
    with pytest.raises(ValueError, match=r"\{problem\}"):
        MFTDataConfig(sampling_prompt="Reply with just the number.", **kw)

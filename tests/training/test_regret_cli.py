"""The regret reward from the command line: a reference made by `osmckp run` on the suite name an
export writes covers the export (Medium and Hard hold the same triples); a reference that does not
is refused before any model loads, with the command that makes one."""

import json

import pytest

from osmckp_env.cli import main


def _reference(tmp_path, suite="train-hard-512", n=4):
    out = tmp_path / "ref"
    assert (
        main(["run", "baselines/gold-oracle.yaml", "--suite", suite, "--n-exams", str(n), "--out", str(out), "--quiet"])
        == 0
    )
    return out / "gold-oracle" / f"{suite}-n{n}" / "results.json"


def test_training_suite_names_are_suites(capsys):
    from osmckp_env.exam.suites import SuiteConfig, build_suite, get_suite

    s = get_suite("train-medium-1024", n_exams=5)
    assert s.config.split == "train" and s.config.budget == 1024 and s.config.order == "medium"
    assert s.hash == build_suite(SuiteConfig(order="medium", budget=1024, n_exams=5, split="train")).hash
    assert get_suite("eval-hard-512", n_exams=3).hash == get_suite("hard-512", n_exams=3).hash
    assert main(["suites", "--export", "train-hard-512", "--n-exams", "2", "--out", "/dev/null"]) == 0
    assert "2 exams" in capsys.readouterr().out


def test_export_verl_with_a_reference_made_by_osmckp_run(tmp_path):
    pd = pytest.importorskip("pandas")
    ref = _reference(tmp_path)
    out = tmp_path / "verl"
    args = [
        "export",
        "verl",
        "--reward",
        "regret",
        "--regret-reference",
        str(ref),
        "--n-exams",
        "4",
        "--budget",
        "512",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    df = pd.read_parquet(out / "train.parquet")
    infos = list(df["extra_info"])
    assert len(infos) == 8 and {i["suite"] for i in infos} == {"train-medium-512", "train-hard-512"}
    medium = [sorted(i["problem_ids"]) for i in infos if i["order"] == "medium"]
    hard = [sorted(i["problem_ids"]) for i in infos if i["order"] == "hard"]
    assert medium == hard  # the same triples: one reference covers both orders
    from osmckp_env.training.verl import compute_score

    row = df.iloc[0]
    golds = json.loads(row["reward_model"]["ground_truth"])
    text = "".join(f"### Problem {k + 1}\n\\boxed{{{g}}}\n" for k, g in enumerate(golds))
    assert compute_score("osmckp", text, row["reward_model"]["ground_truth"], row["extra_info"])["score"] == 0.0
    # a reference on other exams is refused with the command that makes the right one
    other = _reference(tmp_path / "o", suite="hard-512", n=2)
    bad = args[:5] + [str(other)] + args[6:]
    with _nonzero(main, bad) as err:
        pass
    assert "osmckp run SPEC --suite train-medium-512 --n-exams 4" in err.text


class _nonzero:
    def __init__(self, fn, argv):
        self.fn, self.argv = fn, argv

    def __enter__(self):
        import contextlib
        import io

        buf = io.StringIO()
        with contextlib.redirect_stderr(buf):
            code = self.fn(self.argv)
        assert code == 2
        self.text = buf.getvalue()
        return self

    def __exit__(self, *exc):
        return False


def test_rarl_with_an_uncovering_reference_is_refused_before_the_model_loads(tmp_path):
    pytest.importorskip("trl")
    from osmckp_env.training.config import RARLConfig
    from osmckp_env.training.rarl import train_rarl

    other = _reference(tmp_path, suite="hard-512", n=2)
    cfg = RARLConfig(
        model=str(tmp_path / "no-such-checkpoint"),
        reward="regret",
        regret_reference=str(other),
        budget=512,
        n_exams=4,
        grpo={"num_generations": 2, "per_device_train_batch_size": 2},
    )
    with pytest.raises(ValueError, match=r"osmckp run SPEC --suite train-medium-512 --n-exams 2"):
        train_rarl(cfg)  # a missing model would fail later: the reference is checked first
    good = _reference(tmp_path / "g", suite="train-hard-512", n=2)
    from osmckp_env.training.rarl import check_regret_reference

    check_regret_reference(
        RARLConfig(
            model="m",
            reward="regret",
            regret_reference=str(good),
            budget=512,
            n_exams=4,
            grpo={"num_generations": 2, "per_device_train_batch_size": 2},
        )
    )

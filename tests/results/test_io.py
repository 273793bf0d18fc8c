import json

import pytest

from osmckp_env.results.io import ConfigMismatch, RecordWriter, RunLocked, read_records


def rec(i, h="c1"):
    return {"key": f"medium:{i}", "config_hash": h, "exam_index": i, "order": "medium", "problems": [], "score": 1}


def test_append_and_resume(tmp_path):
    with RecordWriter(tmp_path, {"config_hash": "c1"}) as w:
        w.append([rec(0), rec(1)])
    with RecordWriter(tmp_path, {"config_hash": "c1"}) as w:
        assert w.done_keys == {"medium:0", "medium:1"} and w.dropped == 0


def test_half_written_tail_dropped_and_rerun(tmp_path):
    with RecordWriter(tmp_path, {"config_hash": "c1"}) as w:
        w.append([rec(0), rec(1)])
    with open(tmp_path / "records.jsonl", "a") as fh:
        fh.write(json.dumps(rec(2))[:25])  # killed mid-write
    with RecordWriter(tmp_path, {"config_hash": "c1"}) as w:
        assert w.dropped == 1 and w.done_keys == {"medium:0", "medium:1"}
        w.append([rec(2)])
    records, report = read_records(tmp_path / "records.jsonl")
    assert [r["key"] for r in records] == ["medium:0", "medium:1", "medium:2"] and report["bad_lines"] == 0


def test_garbage_line_and_duplicates(tmp_path):
    p = tmp_path / "records.jsonl"
    p.write_text(
        json.dumps({"osmckp_records": 1, "config_hash": "c1"})
        + "\n"
        + json.dumps(rec(0))
        + "\n"
        + json.dumps(rec(0))
        + "\n"
        + "{not json}\n"
    )
    records, report = read_records(p)
    assert len(records) == 1 and report["bad_lines"] == 2


def test_foreign_config_refused_unless_overwrite(tmp_path):
    with RecordWriter(tmp_path, {"config_hash": "c1"}) as w:
        w.append([rec(0)])
    with pytest.raises(ConfigMismatch, match="--overwrite"):
        RecordWriter(tmp_path, {"config_hash": "c2"})
    with RecordWriter(tmp_path, {"config_hash": "c2"}, overwrite=True) as w:
        assert w.done_keys == set()


def test_second_writer_is_locked_out(tmp_path):
    with RecordWriter(tmp_path, {"config_hash": "c1"}):
        with pytest.raises(RunLocked, match="another run"):
            RecordWriter(tmp_path, {"config_hash": "c1"})
    with RecordWriter(tmp_path, {"config_hash": "c1"}):
        pass


def test_a_finished_writer_leaves_no_lock_file_and_still_locks_while_open(tmp_path):
    with RecordWriter(tmp_path, {"config_hash": "c1"}) as w:
        w.append([rec(0)])
        with pytest.raises(RunLocked):
            RecordWriter(tmp_path, {"config_hash": "c1"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records.jsonl"]
    with pytest.raises(ConfigMismatch):  # a refused writer leaves none either
        RecordWriter(tmp_path, {"config_hash": "c2"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records.jsonl"]


def test_a_writer_that_opened_the_lock_as_its_holder_finished_does_not_share_the_folder(tmp_path, monkeypatch):
    import fcntl

    from osmckp_env.results import io

    first = RecordWriter(tmp_path, {"config_hash": "c1"})
    real, state = fcntl.flock, {}

    def flock(fh, op):
        if not state:  # between this writer's open and its flock: the holder ends, a third run starts
            state["racing"] = True
            first.close()
            state["third"] = RecordWriter(tmp_path, {"config_hash": "c1"})
        return real(fh, op)

    monkeypatch.setattr(io.fcntl, "flock", flock)
    with pytest.raises(RunLocked):  # it locked the removed file: not the folder's lock, so it tries again
        RecordWriter(tmp_path, {"config_hash": "c1"})
    state["third"].close()


def test_provenance_says_when_the_commit_is_unknown(tmp_path, monkeypatch):
    import osmckp_env
    from osmckp_env.results import io

    here = io.provenance()
    assert here["git_hash"] and "git_hash_note" not in here  # the tests run from a checkout
    # an installed copy of the package: its files are not tracked by any checkout
    (tmp_path / "__init__.py").write_text("")
    monkeypatch.setattr(osmckp_env, "__file__", str(tmp_path / "__init__.py"))
    wheel = io.provenance()
    assert wheel["git_hash"] is None and "unknown" in wheel["git_hash_note"]
    assert wheel["osmckp_version"] == osmckp_env.__version__

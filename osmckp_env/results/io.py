"""Results I/O, in one place: records files (append-only JSONL that survives crashes: fsync per
batch, bad tails dropped, one writer) and results files (strict JSON, written atomically, read
with a clear error), and the hashes that tie them to a configuration. Imported by the runner,
the leaderboards, the sim, the replay backend and training."""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import math
import os
import subprocess
from pathlib import Path

import osmckp_env
from osmckp_env.exam._files import read_input_text

RECORDS_FORMAT = 1
# Where `osmckp bench`, `sim leaderboard` and `leaderboard` write unless --out says otherwise: inside
# runs/, which git ignores, so no command rewrites the committed leaderboards/ unless asked
# (`--out leaderboards` refreshes those).
LEADERBOARD_OUT = "runs/leaderboards"
RESULTS_FORMAT = 1
REQUIRED = ("key", "config_hash", "exam_index", "order", "problems", "score")


class ConfigMismatch(RuntimeError):
    """The records file belongs to another configuration."""


class RunLocked(RuntimeError):
    """Another process is writing the same output folder."""


def read_records(path: str | Path, required: tuple[str, ...] = REQUIRED) -> tuple[list[dict], dict]:
    """Valid records of a file plus a report ``{"header", "bad_lines", "valid_bytes"}``.

    Reading stops at the first line that is not a complete, well-formed record (a half-written
    tail after a crash); everything after it is counted as bad and will be re-run.
    """
    path = Path(path)
    report = {"header": None, "bad_lines": 0, "valid_bytes": 0}
    if not path.exists():
        return [], report
    records, seen = [], set()
    data = path.read_bytes()
    pos = 0
    lines = data.split(b"\n")
    for i, raw in enumerate(lines):
        is_last = i == len(lines) - 1
        if is_last and raw == b"":
            break
        complete = not is_last  # a line without its newline was cut mid-write
        try:
            obj = json.loads(raw) if complete else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            obj = None
        if i == 0 and isinstance(obj, dict) and obj.get("osmckp_records") == RECORDS_FORMAT:
            report["header"] = obj
        elif isinstance(obj, dict) and all(k in obj for k in required) and obj["key"] not in seen:
            records.append(obj)
            seen.add(obj["key"])
        else:
            report["bad_lines"] = sum(1 for x in lines[i:] if x.strip())
            break
        pos += len(raw) + 1
        report["valid_bytes"] = pos
    return records, report


def _lock(path: Path):
    """Hold an exclusive ``flock`` on ``path`` (created if missing), or raise ``RunLocked``.

    The holder removes the file as it finishes (``RecordWriter.close``), so a process that opened
    the old file just before may lock a file no longer at ``path``: the lock counts only if ``path``
    still names the file locked, else it is taken again on the new one."""
    while True:
        fh = open(path, "a")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            raise RunLocked(
                f"{path.parent} is being written by another run (lock held on {path}); "
                "wait for it to finish or use another --out folder"
            ) from None
        try:
            now, held = os.stat(path), os.fstat(fh.fileno())
            current = (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)
        except FileNotFoundError:
            current = False
        if current:
            return fh
        fh.close()


class RecordWriter:
    """Exclusive writer of one run folder's ``records.jsonl``.

    On open it takes an ``flock`` on ``.lock`` (released by the OS even after ``kill -9``; the
    file is removed when the writer closes, so a finished run's folder holds no ``.lock``),
    checks that the file's header has the same config hash (else ``ConfigMismatch`` unless
    ``overwrite``), and cuts any bad tail so appends start on a clean line.
    """

    def __init__(
        self,
        folder: str | Path,
        header: dict,
        *,
        overwrite: bool = False,
        filename: str = "records.jsonl",
        required: tuple[str, ...] = REQUIRED,
        accept_hashes: set[str] = frozenset(),
    ) -> None:
        """``accept_hashes``: earlier hashes of the same config (a hash rule that changed); a file
        and records under one of them are taken as this config's (and rewritten with its hash)."""
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / filename
        self._lock_path = self.folder / ".lock"
        self._lock_fh = _lock(self._lock_path)
        self.header = {"osmckp_records": RECORDS_FORMAT, **header}
        records, report = read_records(self.path, required)
        old = report["header"]
        new_hash = header.get("config_hash")
        upgraded = old is not None and old.get("config_hash") in accept_hashes
        if upgraded:
            old = {**old, "config_hash": new_hash}
            records = [{**r, "config_hash": new_hash} if r.get("config_hash") in accept_hashes else r for r in records]
        if old is not None and old.get("config_hash") != header.get("config_hash") and not overwrite:
            self.close()
            raise ConfigMismatch(
                f"{self.path} holds records of config {old.get('config_hash')}, not {header.get('config_hash')}; "
                "pass --overwrite to start over, or use another --out folder"
            )
        if old is None and records:
            report["bad_lines"] += len(records)
            records = []
        if overwrite and old is not None and old.get("config_hash") != header.get("config_hash"):
            records, report = [], {"header": None, "bad_lines": 0, "valid_bytes": 0}
        foreign = [r for r in records if r.get("config_hash") != header.get("config_hash")]
        if foreign:
            records = [r for r in records if r.get("config_hash") == header.get("config_hash")]
        self.dropped = report["bad_lines"] + len(foreign)
        self.records = records
        if report["header"] is None or self.dropped or overwrite or upgraded:
            self._rewrite(records)
        self._fh = open(self.path, "a", encoding="utf-8")

    def _rewrite(self, records: list[dict]) -> None:
        tmp = self.path.with_suffix(".jsonl.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(self.header, ensure_ascii=False) + "\n")
            for r in records:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def drop(self, predicate) -> int:
        """Remove records matching ``predicate`` (atomically rewritten); returns how many."""
        keep = [r for r in self.records if not predicate(r)]
        n = len(self.records) - len(keep)
        if n:
            self._fh.close()
            self._rewrite(keep)
            self.records = keep
            self._fh = open(self.path, "a", encoding="utf-8")
        return n

    @property
    def done_keys(self) -> set[str]:
        return {r["key"] for r in self.records}

    def append(self, records: list[dict]) -> None:
        """Write whole lines, then fsync: a crash leaves at most one partial line, which is dropped."""
        if not records:
            return
        self._fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.records.extend(records)

    def close(self) -> None:
        fh = getattr(self, "_fh", None)
        if fh is not None and not fh.closed:
            fh.close()
        if not self._lock_fh.closed:
            self._lock_path.unlink(missing_ok=True)  # while still held: a finished folder keeps no .lock
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- results files ------------------------------------------------------------------------------
def config_hash(d: dict) -> str:
    """sha256 (first 12 hex) of a configuration's canonical JSON: what ties records to a run."""
    return hashlib.sha256(json.dumps(d, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]


def json_safe(obj):
    """NaN/inf -> None, so results files are strict JSON (undefined metrics read as null)."""
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write a text file atomically (temp file + rename): a reader never sees half of it."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def write_results(path: str | Path, results: dict) -> Path:
    """Write a results document atomically (temp file + rename) as strict JSON."""
    return write_text_atomic(path, json.dumps(json_safe(results), indent=2, ensure_ascii=False, allow_nan=False))


def load_results(path: str | Path) -> dict:
    """Read a results.json, with a clear error for a corrupt or foreign file."""
    path = Path(path)
    hint = "give the results.json a run wrote (OUT/<spec name>/<suite>/results.json)"
    try:
        d = json.loads(read_input_text(path, "results file", hint))
    except FileNotFoundError:
        raise ValueError(f"{path}: not a readable results file (no such file); {hint}") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not a readable results file (not JSON: {e}); {hint}") from None
    if not isinstance(d, dict) or d.get("osmckp_results") != RESULTS_FORMAT:
        raise ValueError(f"{path}: not an osmckp results file (missing 'osmckp_results': {RESULTS_FORMAT})")
    return d


def results_records(results_path: str | Path, results: dict | None = None) -> tuple[list[dict], dict]:
    """The exam records beside a results file (its ``records_file``), with ``read_records``' report."""
    results_path = Path(results_path)
    results = results if results is not None else load_results(results_path)
    return read_records(results_path.parent / results.get("records_file", "records.jsonl"))


def split_orders(records: list[dict], order: str, *, errors: bool = False) -> tuple[list[dict], list[dict]]:
    """The records of the given order and of the easy order, each sorted by exam index.

    Records whose backend call failed (``error`` set) are left out unless ``errors``: a failed
    exam is an error, never a score of 0 (results count them in ``backend_errors``)."""

    def of(o: str) -> list[dict]:
        return sorted(
            (r for r in records if r["order"] == o and (errors or not r.get("error"))), key=lambda r: r["exam_index"]
        )

    return of(order), of("easy")


def git_commit(folder: Path) -> str | None:
    """The commit of the checkout ``folder``'s files belong to; ``None`` when they are not tracked
    by git there (an installed wheel, even inside some other repository) or git is missing."""

    def git(*args):
        return subprocess.run(["git", *args], capture_output=True, text=True, timeout=5, cwd=folder)

    try:
        if git("ls-files", "--error-unmatch", "__init__.py").returncode != 0:
            return None
        return git("rev-parse", "HEAD").stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def provenance() -> dict:
    """Package version, git commit (when run from a checkout; else ``git_hash_note`` says it is
    unknown) and UTC date for a results file."""
    commit = git_commit(Path(osmckp_env.__file__).parent)
    note = {} if commit else {"git_hash_note": "unknown: not run from a git checkout (see osmckp_version)"}
    return {
        "osmckp_version": osmckp_env.__version__,
        "git_hash": commit,
        **note,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }

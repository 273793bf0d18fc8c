"""Collect results.json files into one table per setting; reported numbers stay in a separate block."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pandas as pd

from osmckp_env.exam._files import read_yaml_mapping
from osmckp_env.exam.suites import MAIN_SETTINGS
from osmckp_env.leaderboard.entries import entry_labels, interval_config, is_incomplete, is_trial, n_backend_errors
from osmckp_env.leaderboard.naming import setting_title, sort_settings
from osmckp_env.results.io import load_results
from osmckp_env.runner.compare import compare_results
from osmckp_env.scoring.metrics import REGRET_UNDEFINED, regret_defined

COLUMNS = [
    "agent",
    "model",
    "description",
    "score",
    "score_ci95",
    "regret",
    "regret_ci95",
    "tie",
    "score_easy",
    "skip_rate",
    "tokens_per_problem",
    "level_accuracy",
    "budget_exhausted_rate",
    "P*",  # P1..Pn: accuracy at each position, n = the suite's problems per exam
    "grader_failures",
    "n_exams",
    "samples",
    "suite_hash",
    "config_hash",
    "results",
]
TITLES = {"medium-1024": "Medium-1024", "medium-512": "Medium-512", "hard-1024": "Hard-1024", "hard-512": "Hard-512"}


def collect_results(root: str | Path) -> tuple[list[dict], list[str]]:
    """Every readable results.json under ``root`` plus the problems met (corrupt files are reported, skipped)."""
    found, problems = [], []
    for path in sorted(Path(root).rglob("results.json")):
        try:
            r = load_results(path)
        except ValueError as e:
            problems.append(str(e))
            continue
        r["_path"] = str(path)
        found.append(r)
    return found, problems


def _num(v) -> float:
    return float("nan") if v is None else v


def n_problems(r: dict) -> int:
    """Problems per exam of a results file's suite (3 in the paper's settings)."""
    return int(
        (r["suite"].get("config") or {}).get("n_problems") or len(r["metrics"].get("position_accuracy", [])) or 3
    )


def columns(n: int) -> list[str]:
    """The table's columns for suites of ``n`` problems per exam (P1..Pn)."""
    i = COLUMNS.index("P*")
    return COLUMNS[:i] + [f"P{k + 1}" for k in range(n)] + COLUMNS[i + 1 :]


def _row(r: dict, label: str, out_dir: Path) -> dict:
    m = {k: _num(v) if not isinstance(v, (list, dict)) else v for k, v in r["metrics"].items()}
    pos = [_num(x) for x in m.get("position_accuracy", [])]
    gf = m.get("grader_failures", {})
    link = os.path.relpath(Path(r["_path"]).resolve(), Path(out_dir).resolve()).replace(os.sep, "/")
    iv = r["metrics"].get("intervals") or {}

    def ci(key):
        lo, hi = (iv.get(key) or {}).get("ci", [None, None])
        if key == "regret" and not defined:
            return REGRET_UNDEFINED
        return "—" if lo is None or hi is None else f"[{lo:.3f}, {hi:.3f}]"

    defined = regret_defined(r["metrics"])

    return {
        "agent": label,
        "model": r["spec"].get("model") or "",
        "description": r["spec"].get("description") or "",
        "score": m["score"],
        "score_ci95": ci("score"),
        "regret": m.get("regret", float("nan")) if defined else float("nan"),
        "regret_ci95": ci("regret"),
        "tie": "",
        "score_easy": m.get("score_easy", float("nan")),
        "skip_rate": m["skip_rate"],
        "tokens_per_problem": m["tokens_per_problem"],
        "level_accuracy": m["level_accuracy"],
        "budget_exhausted_rate": m["budget_exhausted_rate"],
        **{f"P{k + 1}": pos[k] if len(pos) > k else float("nan") for k in range(n_problems(r))},
        "grader_failures": int(gf.get("timeout", 0)) + int(gf.get("error", 0)),
        "n_exams": m["n_exams"],
        "samples": m.get("n_samples", 1),
        "suite_hash": r["suite"]["hash"],
        "config_hash": r["config_hash"],
        "results": f"[results]({link})",
    }


def _fmt(v) -> str:
    if isinstance(v, float):
        return "—" if math.isnan(v) else f"{v:.3f}"
    return str(v)


def fmt_interval(point, lo, hi, digits: int = 3) -> str:
    """``0.860 [0.810, 0.910]``: a number with its interval (``—`` for a missing number, the point
    alone where there is no interval)."""
    point = _num(point)
    if point is None or (isinstance(point, float) and math.isnan(point)):
        return "—"
    if lo is None or hi is None or any(isinstance(v, float) and math.isnan(v) for v in (lo, hi)):
        return f"{point:.{digits}f}"
    return f"{point:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "—": "---",
    "≈": r"$\approx$",
    "−": "$-$",
}


def latex_escape(text) -> str:
    """``text`` as LaTeX source (its special characters escaped)."""
    return "".join(_LATEX_SPECIAL.get(c, c) for c in str(text))


def latex_table(header: list[str], rows: list[list], *, caption: str, label: str, align: str | None = None) -> str:
    """A booktabs table (``\\toprule``/``\\midrule``/``\\bottomrule``, needs ``\\usepackage{booktabs}``)
    of already formatted cells, escaped here; ``align``: the column spec (default: the first
    column left, the rest right).

    Example:
        >>> print(latex_table(["agent", "Score"], [["gold_1", "3.000 [3.000, 3.000]"]], caption="c", label="t"))
        \\begin{table}[t]
        \\centering
        \\caption{c}
        \\label{t}
        \\begin{tabular}{lr}
        \\toprule
        agent & Score \\\\
        \\midrule
        gold\\_1 & 3.000 [3.000, 3.000] \\\\
        \\bottomrule
        \\end{tabular}
        \\end{table}
    """
    align = align or "l" + "r" * (len(header) - 1)
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{latex_escape(caption)}}}",
        rf"\label{{{label}}}",
        rf"\begin{{tabular}}{{{align}}}",
        r"\toprule",
        " & ".join(latex_escape(h) for h in header) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(latex_escape(_fmt(c)) for c in row) + r" \\" for row in rows]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def _rule(results: list[dict]) -> str:
    cfg = interval_config(results)
    if not cfg:
        return "no intervals recorded"
    return (
        f"{round(100 * cfg['level'])}% intervals: {cfg['method']}, {cfg['resamples']:,} resamples, seed {cfg['seed']}"
    )


def _regret_cell(row) -> str:
    if row["regret_ci95"] == REGRET_UNDEFINED:
        return REGRET_UNDEFINED
    return f"{_fmt(row['regret'])} {row['regret_ci95']}".replace(" —", "")


PAPER_COLUMNS = ["agent", "n", "Score [95% CI]", "Regret [95% CI]", "skip rate", "tokens/problem", "budget exhausted"]


def paper_rows(df: pd.DataFrame) -> list[list[str]]:
    """A leaderboard table's rows as a paper shows them: agent (``≈`` where tied with the entry
    above), n (exams, x samples), Score and Regret with their 95% intervals, skip rate, tokens per
    problem, share of exams that ran out of budget."""
    rows = []
    for _, r in df.iterrows():
        n = f"{r['n_exams']}" + (f" x {r['samples']}" if int(r["samples"]) != 1 else "")
        rows.append(
            [
                r["agent"] + (" (≈ above)" if r["tie"] else ""),
                n,
                f"{_fmt(r['score'])} {r['score_ci95']}".replace(" —", ""),
                _regret_cell(r),
                _fmt(r["skip_rate"]),
                f"{r['tokens_per_problem']:.0f}" if not math.isnan(r["tokens_per_problem"]) else "—",
                _fmt(r["budget_exhausted_rate"]),
            ]
        )
    return rows


def console_table(df: pd.DataFrame) -> str:
    """A leaderboard table for the terminal: agent, n and Score and Regret with their 95% intervals."""
    rows = [PAPER_COLUMNS[:4]] + [row[:4] for row in paper_rows(df)]
    widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def write_latex(df: pd.DataFrame, results: list[dict], path: Path, heading: str, *, trial: bool = False) -> None:
    """One leaderboard table as LaTeX (booktabs) at ``path``; its caption states n, the interval
    rule and the suite hash."""
    hashes = sorted({r["suite"]["hash"] for r in results})
    what = "Trial runs (the first n exams of the suite; not ranked)" if trial else "Ranked by Score"
    caption = (
        f"{heading}: {what}. Score = correct answers per exam; Regret = (S_easy - S) / S_easy on the same exams "
        f"in easy-to-hard order; n = exams. Numbers as 'value [lower, upper]', {_rule(results)}. "
        f"Suite hash {', '.join(hashes)}. Measured with osmckp run."
    )
    label = "tab:" + re.sub(r"[^A-Za-z0-9]+", "-", path.stem).strip("-")
    path.write_text(latex_table(PAPER_COLUMNS, paper_rows(df), caption=caption, label=label), encoding="utf-8")


def to_markdown(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        lines.append("| " + " | ".join(_fmt(row[c]) for c in cols) + " |")
    return "\n".join(lines)


def reported_block(path: str | Path) -> str:
    """The "reported in the paper" block: numbers from ``leaderboards/reported.yaml`` only, never measured."""
    path = Path(path)
    if not path.exists():
        return "_No reported numbers file._"
    hint = "give --reported a YAML file like leaderboards/reported.yaml (a `results:` list and a `note:`)"
    data = read_yaml_mapping(path, "reported-numbers file", hint)
    rows = data.get("results") or []
    note = data.get("note", "")
    if not rows:
        return f"_Empty._ {note}".strip()
    df = pd.DataFrame(rows)
    return f"{note}\n\n{to_markdown(df)}".strip()


def _table(results: list[dict], labels: dict, out_dir: Path, ties: bool = True) -> pd.DataFrame:
    """One row per results file, ranked by Score. ``tie`` is ``≈ above`` where the paired 95%
    interval of the Score difference to the entry above includes zero (same suite only)."""
    order = sorted(results, key=lambda r: (-_num(r["metrics"]["score"]), labels[id(r)]))
    rows = [_row(r, labels[id(r)], out_dir) for r in order]
    if ties:
        for i in range(1, len(order)):
            try:
                d = compare_results(order[i - 1]["_path"], order[i]["_path"])["score"]
            except ValueError:
                continue  # another suite or unfinished: not paired
            rows[i]["tie"] = "≈ above" if not d["distinguishable"] else ""
    return pd.DataFrame(rows, columns=columns(max(n_problems(r) for r in results)))


FIGURES_NOTE = (
    "Each figure is a vector PDF and a PNG at print size, two-column (6.9 in wide: `NAME.pdf`, `NAME.png`) and "
    "one-column (3.3 in: `NAME-1col.pdf`, `NAME-1col.png`), with a caption file `NAME.caption.md` (what is "
    "plotted, n, the settings, the results files and hashes the numbers come from)."
)


def figure_index(names: list[str]) -> list[str]:
    """README lines for the figures written (``names``: every file), one block per figure: the
    two-column PNG shown, links to its PDFs, the one-column PNG and its caption file."""
    lines = []
    for cap in [n for n in names if n.endswith(".caption.md")]:
        stem = cap[: -len(".caption.md")]
        lines += [
            f"![{stem}]({stem}.png)",
            "",
            f"[{stem}.pdf]({stem}.pdf) · one column: [{stem}-1col.pdf]({stem}-1col.pdf), "
            f"[{stem}-1col.png]({stem}-1col.png) · caption: [{cap}]({cap})",
            "",
        ]
    return lines


def _stem(setting: str) -> str:
    return setting.replace(" (suite ", "-").replace(")", "")


def _settings(by_setting: dict) -> list[str]:
    return [s for s in MAIN_SETTINGS if s in by_setting] + sort_settings(set(by_setting) - set(MAIN_SETTINGS))


def _group(results: list[dict]) -> dict[str, list[dict]]:
    """Runs by suite: one group per (suite name, suite hash). A name that more than one suite carries
    (files written before 0.4 named a custom suite like a standard one) gets the hash in its key."""
    hashes: dict[str, set] = {}
    for r in results:
        hashes.setdefault(r["suite"]["name"], set()).add(r["suite"]["hash"])
    out: dict[str, list[dict]] = {}
    for r in results:
        name = r["suite"]["name"]
        r["_setting"] = name if len(hashes[name]) == 1 else f"{name} (suite {r['suite']['hash'][:8]})"
        out.setdefault(r["_setting"], []).append(r)
    return out


def _heading(setting: str, group: list[dict]) -> str:
    n = max(n_problems(r) for r in group)
    return f"{TITLES.get(setting, setting_title(setting))}" + ("" if n == 3 else f" ({n} problems per exam, max {n})")


def build_leaderboard(
    runs_root: str | Path,
    out_dir: str | Path,
    *,
    reported: str | Path | None = None,
    plots: bool = True,
    title: str = "osmckp leaderboard",
) -> dict:
    """Write ``out_dir/<setting>.md``, ``.csv`` and ``.tex`` (LaTeX, booktabs) per setting,
    ``out_dir/README.md`` and the figures (PDF and PNG at both paper sizes, with captions).

    Full runs are ranked per setting; trial runs (``--n-exams``) get their own unranked section
    (tables ``trial-<setting>.tex``) and figures of their own (``trial_*``), never drawn with full
    runs. Every row links to its results file and shows its suite and config hash.
    """
    out_dir = Path(out_dir)
    reported_text = reported_block(reported) if reported is not None else None  # a bad file: refused, nothing made
    out_dir.mkdir(parents=True, exist_ok=True)
    results, problems = collect_results(runs_root)
    incomplete = [r for r in results if is_incomplete(r)]
    full = [r for r in results if not is_trial(r) and not is_incomplete(r)]
    trials = [r for r in results if is_trial(r) and not is_incomplete(r)]
    by_setting, by_trial = _group(full), _group(trials)
    labels = {**entry_labels(full), **entry_labels(trials), **entry_labels(incomplete)}
    written, written_trials = {}, {}
    index = [
        f"# {title}",
        "",
        "Numbers **measured by this project** with `osmckp run`; every row links to its results file "
        "and shows its suite hash and config hash. Score = correct answers per exam (max 3 in the "
        "paper's three-problem settings; a table of n-problem exams says its max); "
        "Regret = (Score_easy − Score) / Score_easy on the same exams in easy-to-hard order. "
        "Only runs of the same suite (the same hash) are ranked together.",
        "",
    ]
    for setting in _settings(by_setting):
        df = _table(by_setting[setting], labels, out_dir)
        stem = _stem(setting)
        df.to_csv(out_dir / f"{stem}.csv", index=False)
        md = to_markdown(df)
        heading = _heading(setting, by_setting[setting])
        (out_dir / f"{stem}.md").write_text(f"# {heading}\n\n{md}\n", encoding="utf-8")
        write_latex(df, by_setting[setting], out_dir / f"{stem}.tex", heading)
        index += [f"## {heading}", "", md, "", f"LaTeX: [{stem}.tex]({stem}.tex)", ""]
        written[setting] = df
    if not by_setting:
        index += ["_No full runs yet: run `osmckp run SPEC` first._", ""]
    if by_trial:
        index += [
            "## Smoke runs (not ranked)",
            "",
            "Trial runs on the first exams of a suite (`--n-exams`): listed for reference, never ranked "
            "with full runs and left out of the plots.",
            "",
        ]
        for setting in _settings(by_trial):
            df = _table(by_trial[setting], labels, out_dir)
            written_trials[setting] = df
            heading = _heading(setting, by_trial[setting])
            tex = f"trial-{_stem(setting)}.tex"
            write_latex(df, by_trial[setting], out_dir / tex, f"{heading} (trial)", trial=True)
            index += [f"### {heading} (trial)", "", to_markdown(df), "", f"LaTeX: [{tex}]({tex})", ""]
    if incomplete:
        index += [
            "## Incomplete runs (not ranked)",
            "",
            "Runs in which backend calls failed after retries (an unreachable server, rejected requests): "
            "a failed exam is an error, not a score, so these are never ranked. Complete one with "
            "`osmckp run <results.json> --retry-errors`.",
            "",
            "| entry | setting | failed exams | records | first error | results |",
            "|---|---|---:|---:|---|---|",
        ]
        for r in sorted(incomplete, key=lambda r: (r["suite"]["name"], r["spec"]["name"])):
            first = str(r.get("first_backend_error") or "").replace("|", "\\|")[:120]
            n_rec = r.get("n_records", "")
            link = ""
            if "_path" in r:
                rel = os.path.relpath(Path(r["_path"]).resolve(), out_dir.resolve()).replace(os.sep, "/")
                link = f"[results]({rel})"
            index.append(
                f"| {labels[id(r)]} | {r['suite']['name']} | {n_backend_errors(r)} | {n_rec} | {first} | {link} |"
            )
        index.append("")
    if (out_dir / "sim" / "README.md").exists():
        index += [
            "## Simulator",
            "",
            "Allocation-policy results on `OSMCKP-Sim-v0` (a response profile, not a model) "
            "are in [sim/](sim/README.md).",
            "",
        ]
    if reported is not None:
        index += ["## Reported in the paper (not measured here)", "", reported_text, ""]
    if problems:
        index += ["## Skipped files", ""] + [f"- {p}" for p in problems] + [""]
    if plots and (full or trials):
        from osmckp_env.leaderboard.plots import plot_all  # deferred: matplotlib, only when plots are drawn

        index += ["## Figures", "", FIGURES_NOTE, ""]
        if full:
            index += figure_index(plot_all(full, out_dir, labels))
        if trials:
            note = (
                "**Trial runs** (the first n exams of each suite, `--n-exams`): not ranked and never drawn with "
                "full runs; n is small, so the intervals are wide."
            )
            index += ["### Trial runs (not ranked)", "", note, ""]
            title = "Trial runs (the first n exams of each suite): not ranked"
            index += figure_index(plot_all(trials, out_dir, labels, prefix="trial_", note=note, title=title))
    (out_dir / "README.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return {"settings": written, "trials": written_trials, "skipped": problems}

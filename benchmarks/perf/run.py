"""osmckp perf suite: every number is a ratio measured side by side in this one run.

    python benchmarks/perf/run.py [--quick] [--out FILE]

It prints the Markdown report and writes a file only when ``--out`` names one: the committed
numbers are refreshed only on purpose, with ``--out benchmarks/perf/RESULTS.md``.

Sections: grading (parallel hang-proof grader vs serial math-verify, and a full suite run's
answers graded once each), runner (concurrent vs serial OpenAI-compatible backend, runner
overhead), token counting (bundled tokenizer vs transformers.AutoTokenizer), sim env (single env
vs CartPole-v1; the native vector env vs Gymnasium's CartPoleVectorEnv at 16, 256 and 1024 envs)
and oracle scaling, the text env's step on runaway completions, RARL reward vs a generation step.
Designed to finish in under 5 minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

ROWS: list[tuple[str, str, str, str]] = []
COMMITTED = "benchmarks/perf/RESULTS.md"


def row(section: str, what: str, value: str, ratio: str = "") -> None:
    ROWS.append((section, what, value, ratio))
    print(f"{section:<14} {what:<58} {value:>16} {ratio:>14}", flush=True)


def timed(fn, *a, **k):
    t = time.perf_counter()
    out = fn(*a, **k)
    return time.perf_counter() - t, out


# -- grading -------------------------------------------------------------------------------
def grading_pairs(n: int, adversarial_share: float, seed: int = 0) -> list[tuple[str, str]]:
    from osmckp_env.exam.problems import load_pool

    rng = np.random.default_rng(seed)
    golds = [p.answer for p in load_pool("eval", "medium")] + [p.answer for p in load_pool("eval", "easy")]
    adversarial = [
        "9^{9^{9^{9}}}",
        "\\frac{1}{" * 60 + "2" + "}" * 60,
        "(" * 200 + "1" + ")" * 200,
        "10^{10^{10^{10}}}",
        "\\sqrt{" * 40 + "2" + "}" * 40,
        "9^{99999999}",
        "100000!",
        "1" * 5000,
        "\\frac{" * 6 + "x^{y^{z}}" + "}{2}" * 6,
    ]
    pairs = []
    for _ in range(n):
        gold = golds[int(rng.integers(len(golds)))]
        r = rng.random()
        if r < adversarial_share:
            pred = adversarial[int(rng.integers(len(adversarial)))]
        elif r < 0.5:
            pred = " " + gold.replace("\\frac", "\\dfrac") + " "  # equal, but not string-identical
        else:
            pred = golds[int(rng.integers(len(golds)))]
        pairs.append((pred, gold))
    return pairs


def bench_grading(n: int) -> None:
    from osmckp_env.grading import Grader
    from osmckp_env.grading.verify import verify_answer

    clean = grading_pairs(n, 0.0)
    mixed = grading_pairs(n, 0.01, seed=1)

    def serial(pairs):
        for p, g in pairs:
            try:
                verify_answer(p, g, timeout_s=1)
            except Exception:  # noqa: BLE001
                pass

    t_serial, _ = timed(serial, clean)
    with Grader(n_workers=os.cpu_count() or 2, timeout_s=1, hard_timeout_s=3) as g:
        g.grade("1+1", "2")  # start the workers outside the timing
        for _ in range(g.n_workers):
            g.grade("2+2", "4")
        t_par, _ = timed(g.grade_many, clean)
        t_mix, res = timed(g.grade_many, mixed)
    rejected = sum(r.status == "rejected" for r in res)
    fails = sum(r.status in ("timeout", "error") for r in res)
    row("grading", f"serial math-verify, {n} real answers (main thread)", f"{n / t_serial:.0f}/s")
    row("grading", "parallel hang-proof Grader, same answers", f"{n / t_par:.0f}/s", f"x{t_serial / t_par:.2f}")
    row(
        "grading",
        f"parallel, 1% adversarial ({rejected} rejected, {fails} timeouts/errors)",
        f"{n / t_mix:.0f}/s",
        f"{t_par / t_mix:.2f} of clean",
    )


# -- runner --------------------------------------------------------------------------------
def bench_runner(n_exams: int) -> None:
    from osmckp_env.backends import Sampling, make_backend
    from osmckp_env.exam.suites import get_suite
    from osmckp_env.grading import Grader
    from osmckp_env.runner.run import run_suite
    from osmckp_env.runner.spec import AgentSpec
    from osmckp_env.testing.fake_openai_server import FakeOpenAIServer

    delay = 0.05
    msgs = [[{"role": "user", "content": f"q{i}"}] for i in range(n_exams)]
    with FakeOpenAIServer(lambda p, cap: "### Problem 1\n\\boxed{1}", delay_s=delay) as srv:
        serial = make_backend("openai", model="m", base_url=srv.base_url, api_key="x", concurrency=1)
        conc = make_backend("openai", model="m", base_url=srv.base_url, api_key="x", concurrency=16)
        conc.generate(msgs[:4], max_tokens=8, sampling=Sampling())
        t1, _ = timed(serial.generate, msgs, max_tokens=8, sampling=Sampling())
        t16, _ = timed(conc.generate, msgs, max_tokens=8, sampling=Sampling())
    row("runner", f"OpenAI backend, {delay * 1000:.0f} ms server delay, concurrency 1", f"{n_exams / t1:.1f} exam/s")
    row("runner", "same, concurrency 16 (ideal ratio 16)", f"{n_exams / t16:.1f} exam/s", f"x{t1 / t16:.1f}")
    spec = AgentSpec(name="gold", agent="direct", backend="scripted", backend_args={"reply": "gold"}, counter="qwen2.5")
    with tempfile.TemporaryDirectory() as d, Grader(n_workers=2) as g:
        g.grade("1+1", "2")
        suite = get_suite("medium-1024", n_exams=n_exams)
        t_run, _ = timed(run_suite, spec, suite, d, grader=g, progress=False)
    per_exam = t_run / (2 * n_exams)
    row(
        "runner",
        "runner overhead per exam (scripted backend: parse, grade, fsync)",
        f"{per_exam * 1000:.2f} ms",
        f"{per_exam / delay:.2f} of 1 call",
    )


# -- evaluation cost and replicas ---------------------------------------------------------
def bench_cost(n_exams: int) -> None:
    """Requests the paper's four settings send: each suite run alone (0.3: every easy order
    generated again) against one `osmckp run` of all four (each distinct generation once)."""
    from osmckp_env.grading import Grader
    from osmckp_env.runner.run import run_spec
    from osmckp_env.runner.spec import AgentSpec
    from osmckp_env.testing.fake_openai_server import FakeOpenAIServer

    settings = ["medium-512", "medium-1024", "hard-512", "hard-1024"]
    counts = {}
    with Grader(n_workers=2) as g, tempfile.TemporaryDirectory() as d:
        g.grade("1+1", "2")
        for how in ("alone", "together"):
            with FakeOpenAIServer(lambda p, cap: "\\boxed{NA}") as srv:
                spec = AgentSpec(name="api", agent="direct", backend="openai", model="m", counter="qwen2.5",
                                 batch_size=64, backend_args={"base_url": srv.base_url, "api_key": "x",
                                                              "concurrency": 16})  # fmt: skip
                groups = [[s] for s in settings] if how == "alone" else [settings]
                for i, group in enumerate(groups):
                    run_spec(spec, group, Path(d) / how / str(i), n_exams=n_exams, progress=False)
                counts[how] = srv.requests
    row("cost", f"requests, 4 settings x {n_exams} exams, each suite run alone (0.3)", f"{counts['alone']}")
    row(
        "cost",
        "same, one `osmckp run` of the four (easy orders shared; goal 0.75)",
        f"{counts['together']}",
        f"{counts['together'] / counts['alone']:.2f} of alone",
    )


def bench_replicas(n_requests: int) -> None:
    """Throughput of one backend over 1, 2 and 4 in-process replicas, each of fixed throughput
    (4 requests at once, 50 ms each), the client sending 16 at once."""
    from osmckp_env.backends import Sampling, make_backend
    from osmckp_env.testing.fake_openai_server import FakeOpenAIServer

    msgs = [[{"role": "user", "content": f"q{i}"}] for i in range(n_requests)]
    rates = {}
    for n in (1, 2, 4):
        servers = [FakeOpenAIServer(lambda p, cap: "ok", delay_s=0.05, capacity=4) for _ in range(n)]
        for s in servers:
            s.__enter__()
        try:
            urls = [s.base_url for s in servers]
            be = make_backend("openai", model="m", base_url=urls if n > 1 else urls[0], api_key="x", concurrency=16)
            be.generate(msgs[:8], max_tokens=4, sampling=Sampling())
            t, out = timed(be.generate, msgs, max_tokens=4, sampling=Sampling())
            assert all(c.error is None for c in out)
            rates[n] = n_requests / t
        finally:
            for s in servers:
                s.__exit__(None, None, None)
    for n in (1, 2, 4):
        ratio = "" if n == 1 else f"x{rates[n] / rates[1]:.2f} of 1" + (" (goal >= 3.5)" if n == 4 else "")
        row("replicas", f"{n} replica(s), 4 at once each, 50 ms a request", f"{rates[n]:.0f} req/s", ratio)


# -- tokens --------------------------------------------------------------------------------
def bench_tokens() -> None:
    import gzip
    import shutil
    from importlib import resources

    from transformers import AutoTokenizer

    from osmckp_env.exam.problems import load_pool
    from osmckp_env.exam.tokenization import default_counter

    texts = [p.problem + " " + p.answer for p in load_pool("eval", "medium")] * 4
    c = default_counter()
    with tempfile.TemporaryDirectory() as d:
        src = resources.files("osmckp_env") / "data" / "tokenizers" / "qwen2.5"
        (Path(d) / "tokenizer.json").write_bytes(gzip.decompress((src / "tokenizer.json.gz").read_bytes()))
        with (src / "tokenizer_config.json").open("rb") as fh, open(Path(d) / "tokenizer_config.json", "wb") as out:
            shutil.copyfileobj(fh, out)
        auto = AutoTokenizer.from_pretrained(d)
    n_tok = sum(c.count_batch(texts))
    t_b, a = timed(c.count_batch, texts)
    t_a, enc = timed(auto, texts, add_special_tokens=False)
    assert a == [len(x) for x in enc["input_ids"]], "the two tokenizers disagree"
    row("tokens", f"bundled tokenizers.Tokenizer.encode_batch ({n_tok} tokens)", f"{n_tok / t_b / 1e6:.2f} M tok/s")
    row(
        "tokens",
        "transformers.AutoTokenizer, same text, same counts",
        f"{n_tok / t_a / 1e6:.2f} M tok/s",
        f"x{t_a / t_b:.2f}",
    )


# -- sim -----------------------------------------------------------------------------------
def _steps_per_s(env, n: int, action) -> float:
    env.reset(seed=0)
    t = time.perf_counter()
    for _ in range(n):
        _, _, term, trunc, _ = env.step(action)
        if term or trunc:
            env.reset()
    return n / (time.perf_counter() - t)


def _vec_steps_per_s(venv, n: int, action) -> float:
    venv.reset(seed=0)
    acts = np.full(venv.num_envs, action)
    t = time.perf_counter()
    for _ in range(n):
        venv.step(acts)
    return n * venv.num_envs / (time.perf_counter() - t)


def bench_sim(n: int) -> None:
    import gymnasium as gym

    import osmckp_env  # noqa: F401
    from osmckp_env.sim.env import SimEnv
    from osmckp_env.sim.oracle import solve_exam

    cp = _steps_per_s(gym.make("CartPole-v1"), n, 1)
    sim = _steps_per_s(gym.make("OSMCKP-Sim-v0"), n, 3)
    row("sim", "CartPole-v1 single env (gym.make)", f"{cp:.0f} steps/s")
    row("sim", "OSMCKP-Sim-v0 single env (gym.make)", f"{sim:.0f} steps/s", f"x{sim / cp:.2f} of CartPole")
    from gymnasium.envs.classic_control.cartpole import CartPoleVectorEnv

    for N in (16, 256, 1024):
        steps = max(20, n // N * 4)
        vcp = _vec_steps_per_s(CartPoleVectorEnv(num_envs=N), steps, 1)
        vsim = _vec_steps_per_s(gym.make_vec("OSMCKP-Sim-v0", num_envs=N), steps, 3)
        row("sim", f"CartPoleVectorEnv (native) x{N}", f"{vcp:.0f} steps/s")
        row("sim", f"OSMCKP-Sim-v0 make_vec (native) x{N}", f"{vsim:.0f} steps/s", f"x{vsim / vcp:.2f} of CartPole")
    sync = _vec_steps_per_s(gym.make_vec("OSMCKP-Sim-v0", num_envs=256, vectorization_mode="sync"), 40, 3)
    row("sim", "OSMCKP-Sim-v0 SyncVectorEnv x256 (for reference)", f"{sync:.0f} steps/s")
    env = SimEnv()
    _, info = env.reset(seed=0)
    atoms = info["view"].atoms
    base = None
    for B in (256, 512, 1024, 2048, 4096, 8192):
        t, _ = timed(solve_exam, atoms, B)
        base = base or t / B
        row("oracle", f"exact DP, N=3, budget {B}", f"{t * 1000:.1f} ms", f"{t / B / base:.2f} x linear")


# -- text env step ----------------------------------------------------------------------------
def bench_step(repeats: int) -> None:
    import gymnasium as gym

    import osmckp_env  # noqa: F401
    from osmckp_env.grading import Grader

    with Grader(n_workers=2) as g:
        env = gym.make("OSMCKP-v0", suite="medium-1024", grader=g)

        def step(text):
            best = float("inf")
            for _ in range(repeats):
                env.reset(options={"exam_index": 0})
                t = time.perf_counter()
                env.step(text)
                best = min(best, time.perf_counter() - t)
            return best

        words = "### Problem 1\nreasoning words here. "
        small = (words + "more reasoning words here. " * 400)[:5000] + "\\boxed{4}"
        big = small + "x y z " * (10_000_000 // 6)
        headers = "### Problem 1\n" * 100_000
        step(small)
        t5 = step(small)
        row("env step", "OSMCKP-v0.step, 5 kB completion, budget 1024", f"{t5 * 1000:.2f} ms")
        t10 = step(big)
        row(
            "env step",
            "OSMCKP-v0.step, 10 MB completion, budget 1024",
            f"{t10 * 1000:.2f} ms",
            f"x{t10 / t5:.2f} of 5 kB",
        )
        th = step(headers)
        row("env step", "OSMCKP-v0.step, 100k repeated headers", f"{th * 1000:.2f} ms", f"x{th / t5:.2f} of 5 kB")


# -- grading a full suite run ----------------------------------------------------------------------
def bench_suite_grading(n_exams: int) -> None:
    """The answers of a realistic full-suite run (given and easy order) graded by the Grader
    (each pair once) vs serial math-verify on every pair; verdicts compared."""
    from osmckp_env.exam.suites import get_suite
    from osmckp_env.grading import Grader

    rng = np.random.default_rng(0)
    suite = get_suite("medium-1024", n_exams=n_exams)
    # a temperature-0 model: each problem has its usual answer (right, in a written variant, or a
    # wrong number), given in 80% of its appearances (any exam, either order); otherwise another
    usual: dict[str, str] = {}
    pairs = []
    for order in (suite, suite.with_order("easy")):
        for e in order.exams:
            for p in e.problems:
                if p.id not in usual:
                    right = rng.random() < 0.55
                    usual[p.id] = (
                        p.answer.replace("\\frac", "\\dfrac") + " " if right else str(int(rng.integers(0, 50)))
                    )
                pred = usual[p.id] if rng.random() < 0.8 else str(int(rng.integers(0, 1000)))
                pairs.append((pred, p.answer))

    def serial():
        """Plain math-verify on every pair in a fresh process (as cold as a grading worker; its
        import is not timed), nothing remembered."""
        import json
        import subprocess
        import sys

        code = (
            "import json, sys, time\n"
            "from math_verify import parse, verify\n"
            "pairs = json.load(open(sys.argv[1]))\n"
            "t = time.perf_counter(); out = []\n"
            "for a, b in pairs:\n"
            "    try: out.append(bool(verify(parse('\\\\boxed{' + b + '}'), parse('\\\\boxed{' + a + '}'), "
            "timeout_seconds=3)))\n"
            "    except Exception: out.append(False)\n"
            "print(json.dumps([time.perf_counter() - t, out]))\n"
        )
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(pairs, fh)
        done = subprocess.run([sys.executable, "-c", code, fh.name], capture_output=True, text=True, check=True)
        os.unlink(fh.name)
        return json.loads(done.stdout.strip().splitlines()[-1])

    t_s, v_s = serial()
    with Grader(n_workers=2) as g:
        g.grade("1", "1.0")  # workers ready: start-up is not grading
        t_g, res = timed(g.grade_many, pairs)
        hits = g.stats["cache_hits"]
    same = sum(a == bool(r.correct) for a, r in zip(v_s, res))
    row(
        "grading",
        f"suite run ({len(pairs)} answers of {len(usual)} problems, 2 orders): serial math-verify",
        f"{len(pairs) / t_s:.0f}/s",
    )
    row(
        "grading",
        f"same answers, Grader (each pair once: {hits} cache hits; {same}/{len(pairs)} same verdicts)",
        f"{len(pairs) / t_g:.0f}/s",
        f"x{t_s / t_g:.2f}",
    )


# -- rarl reward ----------------------------------------------------------------------------
def bench_reward() -> None:
    import torch

    from osmckp_env.exam.suites import get_suite
    from osmckp_env.grading import Grader
    from osmckp_env.testing.tiny_model import build_tiny_model, train_tiny_tokenizer
    from osmckp_env.training.rarl import ExamRewards

    tok = train_tiny_tokenizer()
    model = build_tiny_model(tok).eval()
    G, budget = 8, 512
    suite = get_suite("medium-512", n_exams=G)
    gold = [[p.answer for p in e.problems] for e in suite]
    # answers in other forms or wrong, so every one goes through math-verify (no string fast path)
    completions = [
        [
            {
                "role": "assistant",
                "content": "".join(
                    f"### Problem {k + 1}\n<predicted_level>Level-0</predicted_level>\n"
                    + "reason " * 40
                    + f"\\boxed{{ {a if (i + k) % 2 else a + '+1'} }}\n"
                    for k, a in enumerate(gold[i])
                ),
            }
        ]
        for i in range(G)
    ]
    cols = {
        "problem_ids": [[p.id for p in e.problems] for e in suite],
        "answers": gold,
        "tiers": [[p.tier for p in e.problems] for e in suite],
        "budget": [budget] * G,
    }
    with Grader(n_workers=2) as g:
        g.grade("1+1", "2")
        rw = ExamRewards(tok, grader=g)
        fn = rw.function("rarl")
        fn([""] * G, completions, **cols)
        completions = [[dict(c[0])] for c in completions]  # new batch object: no cache hit
        t_r, _ = timed(fn, [""] * G, completions, **cols)
    ids = tok(["hello"] * G, return_tensors="pt")
    with torch.no_grad():
        t_g, _ = timed(
            model.generate,
            **ids,
            max_new_tokens=budget,
            min_new_tokens=budget,
            do_sample=True,
            pad_token_id=tok.pad_token_id,
        )
    row("rarl reward", f"reward per GRPO batch ({G} exams, {budget}-token budget)", f"{t_r * 1000:.0f} ms")
    row(
        "rarl reward",
        f"generation step, tiny model, {G} x {budget} tokens",
        f"{t_g * 1000:.0f} ms",
        f"reward = {t_r / t_g:.2f} of gen",
    )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import gymnasium
    import math_verify  # noqa: F401
    import tokenizers
    import torch

    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}, "
        f"gymnasium {gymnasium.__version__}, tokenizers {tokenizers.__version__}, torch {torch.__version__}"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    ap.add_argument(
        "--out",
        default=None,
        help="write the Markdown report here (default: print it only; --out benchmarks/perf/RESULTS.md "
        "refreshes the committed numbers)",
    )
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    print(f"{'section':<14} {'what':<58} {'value':>16} {'ratio':>14}")
    # the runner first: once sympy is imported (by the serial math-verify baselines), this
    # process's in-process fake server and client threads slow down (a much larger heap to collect)
    bench_runner(16 if a.quick else 64)
    bench_grading(200 if a.quick else 2000)
    bench_tokens()
    bench_sim(5000 if a.quick else 40000)
    bench_step(3 if a.quick else 10)
    bench_suite_grading(100 if a.quick else 500)
    bench_reward()
    # last: the fake servers' threads and the 7,000 records of the cost rows slow what is timed after them
    bench_replicas(80 if a.quick else 320)
    bench_cost(20 if a.quick else 500)
    total = time.perf_counter() - t0
    lines = [
        "# osmckp perf results",
        "",
        f"Machine: {machine()}.",
        "",
        f"Measured by `python benchmarks/perf/run.py{' --quick' if a.quick else ''}` in one run "
        f"({total:.0f} s). Ratios compare numbers measured side by side in that run.",
        "",
        "| section | what | value | ratio |",
        "|---|---|---|---|",
    ]
    lines += [f"| {s} | {w} | {v} | {r} |" for s, w, v, r in ROWS]
    report = "\n".join(lines) + "\n"
    if a.out is None:
        print(f"\n{report}\n({total:.0f} s; not written: --out FILE writes it, --out {COMMITTED} the committed one)")
        return
    Path(a.out).write_text(report)
    print(f"\nwrote {a.out} ({total:.0f} s)")


if __name__ == "__main__":
    main()

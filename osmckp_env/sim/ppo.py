"""PPO (stable-baselines3, extra ``sim``) on the sim env: reproducible by seed, minutes on a CPU."""

from __future__ import annotations

import json
from pathlib import Path

from osmckp_env.exam.suites import SuiteConfig
from osmckp_env.sim.profiles import get_profile
from osmckp_env.sim.vector import SimVectorEnv

CURVE_EVERY = 5000  # a learning-curve point every this many environment steps
CURVE_WINDOW = 500  # ... over the episodes (all envs together) that ended last, at most this many
TRAIN_SUITES = [
    SuiteConfig(order=o, budget=b, split="train", n_exams=2000, seed=1) for o in ("medium", "hard") for b in (512, 1024)
]


def _require():
    try:
        import stable_baselines3
    except ImportError as e:
        raise ImportError("PPO needs stable-baselines3: pip install 'osmckp[sim]'") from e
    return stable_baselines3


def train_ppo(
    out: str | Path,
    *,
    timesteps: int = 150_000,
    seed: int = 0,
    profile: str = "synthetic-v0",
    n_envs: int = 8,
    progress: bool = False,
) -> dict:
    """Train PPO on training-split exams of all four settings; write ``out`` (.zip) and its learning curve."""
    sb3 = _require()
    import numpy as np
    from stable_baselines3.common.callbacks import BaseCallback

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    from stable_baselines3.common.vec_env import VecMonitor

    vec = VecMonitor(sb3_vec_env(n_envs, suite=TRAIN_SUITES, profile=profile))
    vec.seed(seed)
    curve: list[tuple[int, float]] = []

    class Curve(BaseCallback):
        def _on_step(self) -> bool:
            for info in self.locals.get("infos", []):
                if "episode" in info:
                    self._buf.append(info["episode"]["r"])
            if self.num_timesteps % CURVE_EVERY < self.training_env.num_envs and self._buf:
                window = np.asarray(self._buf[-CURVE_WINDOW:], dtype=float)
                sd = float(window.std(ddof=1)) if len(window) > 1 else 0.0
                curve.append((int(self.num_timesteps), float(window.mean()), sd, len(window)))
            return True

        def _on_training_start(self) -> None:
            self._buf = []

    model = sb3.PPO(
        "MlpPolicy",
        vec,
        seed=seed,
        n_steps=256,
        batch_size=256,
        learning_rate=3e-4,
        gamma=1.0,
        ent_coef=0.01,
        verbose=0,
        device="cpu",
    )
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # SB3's advice on CPU: a small MLP gains nothing from threads, and loses under load
    try:
        model.learn(total_timesteps=timesteps, callback=Curve(), progress_bar=progress)
    finally:
        torch.set_num_threads(threads)
    model.save(out)
    meta = {
        "timesteps": timesteps,
        "seed": seed,
        "profile": profile,
        "n_envs": n_envs,
        "train_suites": [c.to_dict() for c in TRAIN_SUITES],
        # [steps, mean, sd, n]: the mean episode score (and its sd) over the last n <= CURVE_WINDOW
        # episodes that ended, every CURVE_EVERY steps (files before 0.5 hold [steps, mean] only)
        "learning_curve": curve,
        "learning_curve_every": CURVE_EVERY,
        "learning_curve_window": CURVE_WINDOW,
        "sb3_version": sb3.__version__,
    }
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    vec.close()
    return meta


def sb3_vec_env(n_envs: int, **sim_kwargs):
    """The native vector sim (``SimVectorEnv``) as a stable-baselines3 ``VecEnv``: SB3's
    convention is Gymnasium's same-step autoreset, with the final observation in
    ``infos[i]["terminal_observation"]``."""
    _require()
    import numpy as np
    from gymnasium.vector import AutoresetMode
    from stable_baselines3.common.vec_env.base_vec_env import VecEnv

    class SimSB3VecEnv(VecEnv):
        def __init__(self) -> None:
            self.venv = SimVectorEnv(num_envs=n_envs, autoreset_mode=AutoresetMode.SAME_STEP, **sim_kwargs)
            super().__init__(n_envs, self.venv.single_observation_space, self.venv.single_action_space)
            self._actions = None
            self._seed = None

        def reset(self):
            obs, _ = self.venv.reset(seed=self._seed)
            self._seed = None
            return obs

        def step_async(self, actions) -> None:
            self._actions = np.asarray(actions)

        def step_wait(self):
            obs, rew, term, trunc, info = self.venv.step(self._actions)
            infos = [{} for _ in range(self.num_envs)]
            for i in np.flatnonzero(term | trunc):
                infos[i]["terminal_observation"] = info["final_obs"][i]
                infos[i]["TimeLimit.truncated"] = bool(trunc[i] and not term[i])
            return obs, rew.astype(np.float32), term | trunc, infos

        def seed(self, seed=None):
            self._seed = seed
            return [seed] * self.num_envs

        def close(self) -> None:
            pass

        def get_attr(self, attr_name, indices=None):
            return [getattr(self.venv.env, attr_name)] * len(self._get_indices(indices))

        def set_attr(self, attr_name, value, indices=None) -> None:
            setattr(self.venv.env, attr_name, value)

        def env_method(self, method_name, *args, indices=None, **kwargs):
            return [getattr(self.venv.env, method_name)(*args, **kwargs) for _ in self._get_indices(indices)]

        def env_is_wrapped(self, wrapper_class, indices=None):
            return [False] * len(self._get_indices(indices))

    return SimSB3VecEnv()


def default_ppo_path(profile: str = "synthetic-v0", seed: int = 0, root: str | Path = "runs/ppo") -> Path:
    """Where ``osmckp sim train-ppo`` saves a model: named after its profile and seed."""
    return Path(root) / f"ppo-{get_profile(profile).name}-seed{seed}.zip"


def load_ppo(path: str | Path):
    """A saved PPO model (``.zip``), with a clear error for a missing file."""
    sb3 = _require()
    if not Path(path).is_file():
        raise FileNotFoundError(f"no PPO model at {path}; train one with `osmckp sim train-ppo --out {path}`")
    return sb3.PPO.load(str(path), device="cpu")


def bundled_ppo_path() -> Path | None:
    from importlib import resources

    p = resources.files("osmckp_env") / "data" / "policies" / "ppo-synthetic-v0.zip"
    return Path(str(p)) if p.is_file() else None


def bundled_ppo_seed_curves() -> dict[str, list] | None:
    """Learning curves of the bundled PPO's recipe retrained under several seeds (the band of the
    learning-curve figure), by seed; None when the file is not bundled."""
    from importlib import resources

    p = resources.files("osmckp_env") / "data" / "policies" / "ppo-synthetic-v0-seeds.json"
    return json.loads(p.read_text())["curves"] if p.is_file() else None


def _suites_in_words(configs: list[dict]) -> str:
    orders = sorted(
        {c["order"] for c in configs}, key=lambda o: ("medium", "hard").index(o) if o in ("medium", "hard") else 9
    )
    budgets = sorted({c["budget"] for c in configs})
    c = configs[0]
    return (
        f"{' and '.join(o.capitalize() for o in orders)} exams under the budgets {' and '.join(map(str, budgets))} "
        f"({len(configs)} suites of {c['n_exams']:,} {c['split']}-split exams each, {c['n_problems']} problems, "
        f"suite seed {c['seed']})"
    )


def learning_curve_caption(meta: dict, seeds: dict | None = None) -> str:
    """What the learning-curve figure shows, in words: the window, the training settings, the band."""
    every = meta.get("learning_curve_every", CURVE_EVERY)
    window = meta.get("learning_curve_window", CURVE_WINDOW)
    has_sd = any(len(c) >= 4 for c in meta["learning_curve"])
    parts = [
        f"**ppo_learning_curve**: PPO on OSMCKP-Sim-v0 with the `{meta['profile']}` response profile (simulator "
        f"results, not model results), reward `score`. Every {every:,} environment steps (all {meta['n_envs']} "
        f"parallel envs together) the mean score (correct answers per exam) of the last n = {window} training "
        f"episodes that ended. Trained for {meta['timesteps']:,} steps, seed {meta['seed']}, on "
        f"{_suites_in_words(meta['train_suites'])}; stable-baselines3 {meta.get('sb3_version', '?')}.",
        "",
    ]
    if has_sd:
        parts += ["Shaded around the line: the 95% interval of each window mean (mean ± 1.96 sd / sqrt(n)).", ""]
    if seeds:
        parts += [
            f"Grey band: the lowest to the highest curve of the same recipe retrained with n = {len(seeds)} seeds "
            f"({', '.join(map(str, seeds))}; dashed: their mean), from `osmckp_env/data/policies/"
            "ppo-synthetic-v0-seeds.json`; the bundled policy (solid line, from its own training record "
            "`ppo-synthetic-v0.json`) was trained with an earlier version of the kit and is not reproduced bit for bit "
            "by its seed 0.",
            "",
        ]
    return "\n".join(parts)


def plot_learning_curve(meta: dict, out: str | Path) -> list[str]:
    """The learning curve of a PPO run (``leaderboard.plots.learning_curve_figure``): ``out``'s
    stem as PDF and PNG at both paper sizes, with a caption file. Returns the files written."""
    from osmckp_env.leaderboard.plots import learning_curve_figure  # deferred: matplotlib, only when drawn
    from osmckp_env.leaderboard.style import write_figure  # deferred: matplotlib, only when drawn

    out = Path(out)
    return write_figure(
        out.parent, out.stem, lambda size: learning_curve_figure(meta, size), learning_curve_caption(meta)
    )

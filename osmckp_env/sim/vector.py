"""OSMCKP-Sim-v0 natively vectorised: N exams stepped at once with numpy (no Python loop over
envs). ``gym.make_vec("OSMCKP-Sim-v0", num_envs=N)`` picks it by default.

Same dynamics and distribution as N ``SimEnv``s (tested statistically: the draws are made per
batch, so seeded runs are not draw-for-draw equal to single envs). Gymnasium 1.x vector
semantics: next-step autoreset (declared in ``metadata``), batched ``Box``/``MultiDiscrete``
spaces, ``info`` as a dict of arrays with ``_key`` masks.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv

from osmckp_env.exam.levels import SKIP_LEVEL
from osmckp_env.sim.env import N_FEATURES, SimEnv, regret_step_reward


class SimVectorEnv(VectorEnv):
    """``num_envs`` copies of ``OSMCKP-Sim-v0`` in one numpy state; the keyword arguments are
    ``SimEnv``'s (``suite``, ``budget``, ``profile``, ``reward``, ``level_noise``, ``n_exams``,
    ``suite_seed``, ``level_bins``, ``regret_shaping``)."""

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        render_mode: str | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        **kwargs,
    ) -> None:
        if not isinstance(num_envs, int) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive int, got {num_envs!r}")
        mode = AutoresetMode(autoreset_mode)
        if mode == AutoresetMode.DISABLED:
            raise ValueError("autoreset_mode must be NEXT_STEP (default) or SAME_STEP")
        self.metadata = {**self.metadata, "autoreset_mode": mode}
        if render_mode is not None:
            raise ValueError("the vectorised sim does not render; use a single OSMCKP-Sim-v0 for render_mode='ansi'")
        self.env = SimEnv(**kwargs)  # validates the arguments; builds views and oracle values
        self.num_envs = num_envs
        self.render_mode = None
        self.single_observation_space = self.env.observation_space
        self.single_action_space = self.env.action_space
        self.observation_space = spaces.Box(0.0, 1.0, shape=(num_envs, N_FEATURES), dtype=np.float32)
        self.action_space = spaces.MultiDiscrete(np.full(num_envs, len(self.env.caps)))
        self._tables()
        self._rng = np.random.default_rng()
        self._exam = np.zeros(num_envs, dtype=np.int64)
        self._pos = np.zeros(num_envs, dtype=np.int64)
        self._left = np.zeros(num_envs, dtype=np.int64)
        self._score = np.zeros(num_envs)
        self._pred = np.zeros((num_envs, self.n), dtype=np.int64)
        self._autoreset = np.zeros(num_envs, dtype=bool)

    def _tables(self) -> None:
        """Every exam of every suite as arrays: atoms (padded), tiers, MATH levels, true levels."""
        env = self.env
        exams = [(si, e) for si, s in enumerate(env.suites) for e in s.exams]
        ns = {e.n_problems for _, e in exams}
        if len(ns) != 1:
            raise ValueError(f"the vectorised sim needs exams of one size, got {sorted(ns)} problems")
        self.n = n = ns.pop()
        views = [env.view_of(e) for _, e in exams]
        m = max(len(a.lengths) for v in views for a in v.atoms)
        E = len(exams)
        self._L = np.ones((E, n, m), dtype=np.int64)
        self._P = np.zeros((E, n, m))
        self._cdf = np.full((E, n, m), 2.0)  # padding atoms are never drawn
        self._m = np.zeros((E, n), dtype=np.int64)
        self._true = np.zeros((E, n), dtype=np.int64)
        self._budget = np.array([v.budget for v in views], dtype=np.int64)
        self._index = np.array([e.index for _, e in exams], dtype=np.int64)
        self._suite_of = np.array([si for si, _ in exams], dtype=np.int64)
        self._first = np.searchsorted(self._suite_of, np.arange(len(env.suites)))
        self._size = np.array([len(s) for s in env.suites])
        for i, v in enumerate(views):
            for k, a in enumerate(v.atoms):
                c = len(a.lengths)
                self._L[i, k, :c], self._P[i, k, :c], self._cdf[i, k, :c] = a.lengths, a.p_correct, a.cdf
                self._m[i, k] = c
            self._true[i] = v.predicted_levels
        # equal-weight atoms (the synthetic profile's quantiles) are drawn by index, no search
        self._uniform = bool(all(np.allclose(a.weights, a.weights[0]) for v in views for a in v.atoms))
        # the features that do not depend on the episode, the single env's own rows
        self._F = np.stack([env.static_rows(e) for _, e in exams])
        self._caps = np.array([-1 if c is None else c for c in env.caps], dtype=np.int64)
        self._views = views
        self._V: dict[int, np.ndarray] = {}

    # -- state ----------------------------------------------------------------------------------
    def _draw(self, mask: np.ndarray, suite_index=None, exam_index=None) -> None:
        """New exams for the envs in ``mask`` (suite, then exam, uniformly; then level noise);
        ``suite_index`` / ``exam_index`` (one per env in ``mask``) fix them instead of drawing
        (the random numbers are drawn all the same, so noise does not depend on the choice)."""
        idx = np.flatnonzero(mask)
        k = len(idx)
        if not k:
            return
        r = self._rng.random((k, 2 + 2 * self.n))
        si = (r[:, 0] * len(self.env.suites)).astype(np.int64) if suite_index is None else suite_index
        ei = (r[:, 1] * self._size[si]).astype(np.int64) if exam_index is None else exam_index
        e = self._first[si] + ei
        flip = r[:, 2 : 2 + self.n] < self.env.level_noise
        noise = (r[:, 2 + self.n :] * (SKIP_LEVEL + 1)).astype(np.int64)
        self._exam[idx] = e
        self._pred[idx] = np.where(flip, noise, self._true[e])
        self._pos[idx] = 0
        self._left[idx] = self._budget[e]
        self._score[idx] = 0.0

    def _obs(self) -> np.ndarray:
        e = self._exam
        x = self._F[e, self._pos]  # a fresh array (fancy indexing copies)
        x[:, 5] = self._left / self._budget[e]
        live = np.flatnonzero(self._pos < self.n)
        x[live, 8 + self._pred[live, self._pos[live]]] = 1.0
        return x

    def reset(self, *, seed: int | list[int] | None = None, options: dict | None = None):
        """Start new exams in every env. ``options`` takes what ``SimEnv.reset`` takes,
        ``suite_index`` and ``exam_index``: an int (every env) or one per env; anything else is
        refused."""
        if seed is not None:
            self._rng = np.random.default_rng(seed if isinstance(seed, int) else list(seed))
        si, ei = self._reset_options(options or {})
        self._draw(np.ones(self.num_envs, dtype=bool), si, ei)
        self._autoreset[:] = False
        return self._obs(), self._info(np.zeros(self.num_envs), np.zeros(self.num_envs, dtype=bool))

    def _reset_options(self, options: dict):
        unknown = sorted(set(options) - {"suite_index", "exam_index"})
        if unknown:
            raise ValueError(
                f"SimVectorEnv.reset: unknown option(s) {unknown}; it takes 'suite_index' and 'exam_index' "
                "(an int for every env, or one per env), as SimEnv.reset does"
            )

        def per_env(name, upper):
            v = options.get(name)
            if v is None:
                return None
            a = np.broadcast_to(np.asarray(v), (self.num_envs,)) if np.ndim(v) == 0 else np.asarray(v)
            if a.shape != (self.num_envs,) or not np.issubdtype(a.dtype, np.integer) or (a < 0).any():
                raise ValueError(f"options[{name!r}] must be an int or {self.num_envs} ints, got {v!r}")
            if (a >= upper).any():
                raise ValueError(f"options[{name!r}] must be below {upper}, got {v!r}")
            return a.astype(np.int64)

        si = per_env("suite_index", len(self.env.suites))
        if "exam_index" not in options or options["exam_index"] is None:
            return si, None
        # as SimEnv.reset: without suite_index the suite is drawn, so the index must fit every suite
        ei = per_env("exam_index", int((self._size if si is None else self._size[si]).min()))
        return si, ei

    def step(self, actions):
        a = np.asarray(actions, dtype=np.int64).reshape(self.num_envs)
        if ((a < 0) | (a >= len(self._caps))).any():
            raise ValueError(f"actions must be in 0..{len(self._caps) - 1} (0 = skip, last = all remaining), got {a}")
        restart = self._autoreset.copy()
        self._draw(restart)
        act = ~restart
        e, k = self._exam, np.minimum(self._pos, self.n - 1)
        cap = np.where(self._caps[a] < 0, self._left, np.minimum(self._caps[a], self._left))
        u, v = self._rng.random(self.num_envs), self._rng.random(self.num_envs)
        m = self._m[e, k]
        if self._uniform:
            j = np.minimum((u * m).astype(np.int64), m - 1)
        else:
            j = np.minimum((self._cdf[e, k] <= u[:, None]).sum(axis=1), m - 1)
        L, P = self._L[e, k, j], self._P[e, k, j]
        attempt = act & (a != 0)
        fits = L <= cap
        tokens = np.where(attempt, np.where(fits, L, cap), 0)
        correct = attempt & fits & (v < P)
        reward = correct.astype(np.float64)
        if self.env.reward_kind == "rarl":
            bins = self.env.bins
            actual = np.where(a == 0, SKIP_LEVEL, bins.levels_of(tokens))
            claimed = bins.claimed_level(a)
            reward = (correct & (actual == claimed)).astype(np.float64)
        b0 = self._left.copy()
        self._score += correct
        self._left -= tokens
        self._pos += act
        terminated = act & ((self._pos >= self.n) | (self._left <= 0))
        if self.env.reward_kind == "regret":
            for i in np.flatnonzero(act):
                reward[i] = regret_step_reward(
                    self._values(int(e[i])),
                    int(k[i]),
                    int(b0[i]),
                    int(self._left[i]),
                    float(correct[i]),
                    bool(terminated[i]),
                    float(self._score[i]),
                    self.env.regret_shaping,
                )
        reward[restart] = 0.0
        info = self._info(tokens, correct, act)
        obs = self._obs()
        if self.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP and terminated.any():
            # Gymnasium's same-step autoreset: the final observation goes to info, the env restarts now
            info["final_obs"] = np.where(terminated[:, None], obs, 0.0)
            info["_final_obs"] = terminated.copy()
            self._draw(terminated)
            obs = self._obs()
        else:
            self._autoreset = terminated
        return obs, reward, terminated, np.zeros(self.num_envs, dtype=bool), info

    def _values(self, e: int) -> np.ndarray:
        if e not in self._V:
            self._V[e] = self.env.oracle_values(self._views[e])
        return self._V[e]

    def _info(self, tokens, correct, mask=None) -> dict:
        mask = np.ones(self.num_envs, dtype=bool) if mask is None else mask
        out = {
            "exam_index": self._index[self._exam],
            "position": self._pos.copy(),
            "remaining": self._left.copy(),
            "tokens": np.asarray(tokens),
            "correct": np.asarray(correct, dtype=bool),
        }
        if self.env.reward_kind == "regret":
            out["score"] = self._score.copy()
            out["reference"] = np.array([self._values(int(x))[0, -1] for x in self._exam])
        return {**out, **{f"_{key}": mask for key in out}}  # one mask array, shared by every key

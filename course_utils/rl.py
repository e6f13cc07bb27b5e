"""Small reinforcement-learning helpers: a tabular gridworld MDP and a seeded evaluation loop.

The gridworld is both a *model* (its transition tensor ``P`` and expected rewards ``R`` are exact
NumPy arrays, for value iteration and exact policy evaluation) and an *environment* with the
gymnasium interface (``reset``/``step``), so the same learning code runs on it and on CartPole::

    from course_utils import rl
    world = rl.GridWorld(rl.RUSSELL_NORVIG, slip=0.2, step_reward=-0.04)
    world.P.shape, world.R.shape      # (S, A, S) transition probabilities, (S, A) expected rewards
    obs, info = world.reset(seed=0)   # obs: one-hot float32 vector of length S; info["state"]: index
    obs, r, terminated, truncated, info = world.step(1)   # actions: 0 up, 1 right, 2 down, 3 left

    returns = rl.evaluate(policy, env, n=20, seed=1000)   # n episodes, episode i reset with seed + i

Layout characters: ``.`` free cell, ``#`` wall, ``S`` start, ``G`` goal (terminal, ``goal_reward``),
``P`` pit (terminal, ``pit_reward``). Moving into a wall or off the grid leaves the agent in place.
With probability ``1 - slip`` the agent moves as intended, otherwise it slips to one of the two
perpendicular directions (``slip / 2`` each), as in Russell & Norvig's 4x3 world. Every move costs
``step_reward``; arriving in a terminal cell also pays that cell's reward; terminal cells are
absorbing with reward 0, so the value of a terminal cell is 0.
"""

from __future__ import annotations

import numpy as np

# Russell & Norvig, "Artificial Intelligence: A Modern Approach", Fig. 17.1: the 4x3 world.
RUSSELL_NORVIG = ("...G",
                  ".#.P",
                  "S...")

ACTIONS = ("up", "right", "down", "left")
_MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))  # (row, column) steps, in the order of ACTIONS
_ARROWS = ((0, 1), (1, 0), (0, -1), (-1, 0))  # (dx, dy) for plotting, y pointing up


class GridWorld:
    """A finite MDP on a grid (see the module docstring), with exact ``P``/``R`` and a sampler."""

    def __init__(self, layout=RUSSELL_NORVIG, slip=0.2, step_reward=-0.04, goal_reward=1.0, pit_reward=-1.0,
                 max_steps=200):
        rows = [list(r) for r in layout]
        self.shape = (len(rows), len(rows[0]))
        if any(len(r) != self.shape[1] for r in rows):
            raise ValueError("every row of the layout must have the same length")
        self.layout = tuple("".join(r) for r in rows)
        self.cells = [(i, j) for i, r in enumerate(rows) for j, c in enumerate(r) if c != "#"]
        self.index = {cell: s for s, cell in enumerate(self.cells)}
        self.n_states, self.n_actions = len(self.cells), len(ACTIONS)
        kinds = [rows[i][j] for i, j in self.cells]
        starts = [s for s, k in enumerate(kinds) if k == "S"]
        self.start = starts[0] if starts else 0
        self.terminal = np.array([k in "GP" for k in kinds])
        bonus = np.array([goal_reward if k == "G" else pit_reward if k == "P" else 0.0 for k in kinds])
        self.terminal_reward = np.where(self.terminal, bonus, 0.0)  # what arriving in each terminal cell pays
        self.slip, self.max_steps = slip, max_steps

        S, A = self.n_states, self.n_actions
        self.P = np.zeros((S, A, S))
        for s, (i, j) in enumerate(self.cells):
            if self.terminal[s]:
                self.P[s, :, s] = 1.0  # absorbing
                continue
            for a in range(A):
                for direction, prob in ((a, 1.0 - slip), ((a + 1) % 4, slip / 2), ((a + 3) % 4, slip / 2)):
                    if prob > 0:
                        self.P[s, a, self._move(i, j, direction)] += prob
        # reward of the move s -> s': the step cost plus the terminal cell's reward; nothing after the end
        self.reward_sas = np.where(self.terminal[:, None, None], 0.0, step_reward + bonus[None, None, :])
        self.reward_sas = np.broadcast_to(self.reward_sas, (S, A, S)).copy()
        self.R = (self.P * self.reward_sas).sum(axis=2)  # (S, A) expected reward

        from gymnasium import spaces  # lazy: only when a world is built

        self.observation_space = spaces.Box(0.0, 1.0, shape=(S,), dtype=np.float32)
        self.action_space = spaces.Discrete(A)
        self._rng = np.random.default_rng()
        self.state, self._t = self.start, 0

    def _move(self, i, j, direction):
        di, dj = _MOVES[direction]
        target = (i + di, j + dj)
        return self.index.get(target, self.index[(i, j)])  # walls and edges: stay

    def one_hot(self, s):
        x = np.zeros(self.n_states, dtype=np.float32)
        x[s] = 1.0
        return x

    def reset(self, seed=None, options=None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)  # like gymnasium: the action space is seeded separately
        self.state, self._t = self.start, 0
        return self.one_hot(self.state), {"state": self.state}

    def step(self, action):
        s = self.state
        s_next = int(self._rng.choice(self.n_states, p=self.P[s, int(action)]))
        reward = float(self.reward_sas[s, int(action), s_next])
        self.state, self._t = s_next, self._t + 1
        terminated = bool(self.terminal[s_next])
        truncated = (not terminated) and self._t >= self.max_steps
        return self.one_hot(s_next), reward, terminated, truncated, {"state": s_next}

    def to_grid(self, values):
        """Per-state values (S,) -> a (rows, cols) array with NaN on walls, for plotting."""
        grid = np.full(self.shape, np.nan)
        for s, (i, j) in enumerate(self.cells):
            grid[i, j] = values[s]
        return grid


def plot_values(world, V, policy=None, ax=None, title=None, fmt="{:.2f}", cmap="RdYlGn"):
    """Heat map of state values V (S,) on the grid, with arrows for a deterministic policy (S,) of actions."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(1.1 * world.shape[1] + 1, 1.1 * world.shape[0]))[1]
    V = np.asarray(V, dtype=float)
    # terminal cells have value 0 (nothing follows them); colour them by the reward for reaching them instead
    grid = world.to_grid(np.where(world.terminal, world.terminal_reward, V))
    vmax = np.nanmax(np.abs(grid)) or 1.0
    ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=-vmax, vmax=vmax)
    for i in range(world.shape[0]):
        for j in range(world.shape[1]):
            if world.layout[i][j] == "#":
                ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, color="0.35"))
    for s, (i, j) in enumerate(world.cells):
        kind = world.layout[i][j]
        if world.terminal[s]:
            ax.text(j, i, kind, ha="center", va="center", fontsize=14, weight="bold")
            continue
        ax.text(j, i + 0.32, fmt.format(V[s]), ha="center", va="center", fontsize=8)
        if policy is not None:
            dx, dy = _ARROWS[int(policy[s])]
            ax.arrow(j - 0.2 * dx, i - 0.05 + 0.2 * dy, 0.3 * dx, -0.3 * dy, head_width=0.12, color="k",
                     length_includes_head=True)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def evaluate(policy, env, n=20, seed=0):
    """Undiscounted returns of ``n`` episodes of ``policy`` (a function obs -> action) in ``env``.

    Episode ``i`` starts from ``env.reset(seed=seed + i)`` and the action space is seeded with
    ``seed``, so a policy that samples ``env.action_space`` is reproducible too. Returns an array (n,).
    """
    env.action_space.seed(seed)
    returns = np.zeros(n)
    for i in range(n):
        obs, _ = env.reset(seed=seed + i)
        done = False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(policy(obs))
            returns[i] += reward
            done = terminated or truncated
    return returns

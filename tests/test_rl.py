import numpy as np
import pytest

from course_utils import rl


def test_gridworld_model_is_a_proper_mdp():
    world = rl.GridWorld(rl.RUSSELL_NORVIG, slip=0.2, step_reward=-0.04)
    S, A = world.n_states, world.n_actions
    assert (S, A) == (11, 4) and world.terminal.sum() == 2
    assert world.P.shape == (S, A, S) and world.R.shape == (S, A)
    np.testing.assert_allclose(world.P.sum(axis=2), 1.0, rtol=0, atol=1e-12)
    assert (world.R[world.terminal] == 0).all()  # nothing happens after the end
    # bottom-left start, "up": 0.8 up, 0.1 right, 0.1 left = bump into the edge and stay
    up = world.P[world.start, 0]
    assert up[world.index[(1, 0)]] == pytest.approx(0.8)
    assert up[world.index[(2, 1)]] == pytest.approx(0.1)
    assert up[world.start] == pytest.approx(0.1)


def test_gridworld_values_match_russell_norvig():
    world = rl.GridWorld()
    V = np.zeros(world.n_states)
    for _ in range(200):
        V = (world.R + world.P @ V).max(axis=1)
    book = np.array([[0.812, 0.868, 0.918, 0.0], [0.762, np.nan, 0.660, 0.0], [0.705, 0.655, 0.611, 0.388]])
    np.testing.assert_allclose(world.to_grid(V), book, rtol=0, atol=5e-4)


def test_gridworld_sampler_follows_P():
    world = rl.GridWorld(slip=0.2)
    counts = np.zeros(world.n_states)
    world.reset(seed=0)
    for _ in range(4000):
        world.reset()
        obs, reward, terminated, truncated, info = world.step(0)
        counts[info["state"]] += 1
        assert obs.argmax() == info["state"] and obs.sum() == 1
        assert reward == pytest.approx(-0.04) and not terminated and not truncated
    np.testing.assert_allclose(counts / 4000, world.P[world.start, 0], atol=0.03)


def test_gridworld_without_slip_is_deterministic_and_truncates():
    world = rl.GridWorld(slip=0.0, max_steps=3)
    world.reset(seed=1)
    states = [world.step(a)[4]["state"] for a in (0, 0)]  # up, up
    assert states == [world.index[(1, 0)], world.index[(0, 0)]]
    *_, terminated, truncated, _ = world.step(3)  # left into the edge: stay, and hit max_steps
    assert truncated and not terminated


def test_evaluate_is_seeded_and_counts_returns():
    world = rl.GridWorld(slip=0.2, max_steps=50)
    policy = lambda obs: world.action_space.sample()
    a, b = rl.evaluate(policy, world, n=5, seed=3), rl.evaluate(policy, world, n=5, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (5,) and (a <= 1.0).all() and (a >= -1.0 - 0.04 * 50).all()


def test_plot_values_runs():
    import matplotlib

    matplotlib.use("Agg")
    world = rl.GridWorld()
    ax = rl.plot_values(world, np.zeros(world.n_states), np.zeros(world.n_states, dtype=int), title="t")
    assert ax.get_title() == "t"

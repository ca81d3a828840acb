"""lr-schedules: each closed form against the chainable (recursive) rule torch's ``step()`` applies
epoch by epoch, against values worked by hand, and against invariants (bounds, OneCycleLR's peak)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import lr_schedules as sched
from mlquiz.errors import DemoInputError

NAME = "lr-schedules"


# ----- torch's chainable get_lr rules: each epoch's lr from the previous one
def chain_step(epochs, base, step_size, gamma):
    lr, out = base, []
    for e in range(epochs):
        if e > 0 and e % step_size == 0:
            lr *= gamma
        out.append(lr)
    return out


def chain_multi_step(epochs, base, milestones, gamma):
    lr, out = base, []
    for e in range(epochs):
        lr *= gamma ** list(milestones).count(e) if e > 0 else 1.0
        out.append(lr)
    return out


def chain_cosine(epochs, base, T_max, eta_min):
    lr, out = base, []
    for e in range(epochs):
        if e == 0:
            pass
        elif (e - 1 - T_max) % (2 * T_max) == 0:
            lr = lr + (base - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
        else:
            lr = ((1 + math.cos(math.pi * e / T_max)) / (1 + math.cos(math.pi * (e - 1) / T_max))
                  * (lr - eta_min) + eta_min)
        out.append(lr)
    return out


def chain_linear(epochs, base, start, end, total):
    lr, out = base, []
    for e in range(epochs):
        if e == 0:
            lr = base * start
        elif e <= total:
            lr = lr * (1 + (end - start) / (total * start + (e - 1) * (end - start)))
        out.append(lr)
    return out


def warm_restarts_by_epoch(e, base, T_0, T_mult, eta_min):
    """torch's step(epoch) branch, with the log replaced by exact integer arithmetic."""
    if e < T_0:
        T_cur, T_i = e, T_0
    elif T_mult == 1:
        T_cur, T_i = e % T_0, T_0
    else:
        n = 0
        while T_0 * (T_mult ** (n + 1) - 1) // (T_mult - 1) <= e:
            n += 1
        T_cur, T_i = e - T_0 * (T_mult**n - 1) // (T_mult - 1), T_0 * T_mult**n
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2


@settings(max_examples=60, deadline=None)
@given(epochs=st.integers(1, 300), step_size=st.integers(1, 50), gamma=st.floats(0.05, 1.0),
       base=st.floats(1e-4, 10.0))
def test_step_lr_closed_form_equals_the_chain(epochs, step_size, gamma, base):
    e = np.arange(epochs)
    np.testing.assert_allclose(sched.step_lr(e, base, step_size, gamma), chain_step(epochs, base, step_size, gamma),
                               rtol=1e-9, atol=1e-300)  # gamma**k reaches subnormal numbers


@settings(max_examples=60, deadline=None)
@given(epochs=st.integers(1, 200), milestones=st.sets(st.integers(1, 250), max_size=5), gamma=st.floats(0.05, 1.0))
def test_multi_step_lr_closed_form_equals_the_chain(epochs, milestones, gamma):
    ms = sorted(milestones)
    np.testing.assert_allclose(sched.multi_step_lr(np.arange(epochs), 0.1, ms, gamma),
                               chain_multi_step(epochs, 0.1, ms, gamma), rtol=1e-9, atol=1e-300)


@settings(max_examples=60, deadline=None)
@given(epochs=st.integers(1, 400), T_max=st.integers(1, 100), eta_min=st.floats(0.0, 0.05),
       base=st.floats(0.06, 1.0))
def test_cosine_closed_form_equals_the_chain_even_past_T_max(epochs, T_max, eta_min, base):
    closed = sched.cosine_annealing_lr(np.arange(epochs), base, T_max, eta_min)
    np.testing.assert_allclose(closed, chain_cosine(epochs, base, T_max, eta_min), rtol=1e-7, atol=1e-12)
    within = closed[: T_max + 1]
    assert np.all(within >= eta_min - 1e-12) and np.all(within <= base + 1e-12)
    assert np.all(np.diff(within) <= 1e-12)  # falls monotonically to eta_min


@settings(max_examples=60, deadline=None)
@given(epochs=st.integers(1, 60), start=st.floats(0.01, 1.0), end=st.floats(0.01, 1.0), total=st.integers(1, 30))
def test_linear_lr_closed_form_equals_the_chain(epochs, start, end, total):
    np.testing.assert_allclose(sched.linear_lr(np.arange(epochs), 0.1, start, end, total),
                               chain_linear(epochs, 0.1, start, end, total), rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(epochs=st.integers(1, 400), T_0=st.integers(1, 20), T_mult=st.integers(1, 4), eta_min=st.floats(0.0, 0.05))
def test_warm_restarts_stepping_equals_the_epoch_formula_and_stays_in_bounds(epochs, T_0, T_mult, eta_min):
    lrs = sched.cosine_warm_restarts(epochs, 0.1, T_0, T_mult, eta_min)
    expected = [warm_restarts_by_epoch(e, 0.1, T_0, T_mult, eta_min) for e in range(epochs)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    assert np.all(lrs > eta_min - 1e-12) and np.all(lrs <= 0.1 + 1e-12)


def test_exponential_by_hand():
    np.testing.assert_allclose(sched.exponential_lr([0, 1, 10], 0.1, 0.95), [0.1, 0.095, 0.1 * 0.95**10])


def test_known_values_at_the_defaults():
    data = registry.run_json(NAME, {})
    step, multi = data["step_lr"], data["multi_step_lr"]
    assert (step[29], step[30], step[60], step[99]) == pytest.approx((0.1, 0.01, 0.001, 1e-4))
    assert (multi[29], multi[30], multi[79], multi[80]) == pytest.approx((0.1, 0.01, 0.01, 0.001))
    assert data["exponential_lr"][10] == pytest.approx(0.0598737, rel=1e-5)
    cos = data["cosine_annealing_lr"]
    assert (cos[0], cos[50]) == pytest.approx((0.1, 0.05)) and cos[99] == pytest.approx(0.1 * (1 + math.cos(0.99 * math.pi)) / 2)
    warm = data["cosine_warm_restarts"]
    assert data["restart_epochs"] == [10, 30, 70]
    assert (data["warm_restarts_T_cur"][45], data["warm_restarts_T_i"][45]) == (15, 40)
    assert data["warm_restarts_T_i"][:31] == [10] * 10 + [20] * 20 + [40]
    assert [warm[e] for e in (10, 30, 70)] == pytest.approx([0.1] * 3)
    assert warm[5] == pytest.approx(0.05) and warm[20] == pytest.approx(0.05) and warm[50] == pytest.approx(0.05)
    lin = data["linear_lr"]
    assert lin[0] == pytest.approx(0.1 / 3) and lin[1] == pytest.approx(0.1 * (1 / 3 + 2 / 15))
    assert lin[5] == pytest.approx(0.1) and lin[99] == pytest.approx(0.1)
    cycle = data["one_cycle_lr"]
    assert len(cycle) == 100
    assert cycle[0] == pytest.approx(0.004) and data["one_cycle_initial_lr"] == pytest.approx(0.004)
    assert cycle[29] == pytest.approx(0.1) and data["one_cycle_argmax"] == 29 and data["one_cycle_peak_step"] == 29
    assert cycle[99] == pytest.approx(4e-7) and data["one_cycle_min_lr"] == pytest.approx(4e-7)


@settings(max_examples=60, deadline=None)
@given(tenths=st.integers(1, 9), tens=st.integers(1, 50), max_lr=st.floats(1e-3, 10.0),
       div=st.floats(1.0, 100.0), final=st.floats(1.0, 1e5), strategy=st.sampled_from(["cos", "linear"]))
def test_one_cycle_peaks_at_max_lr_at_pct_start_total_minus_one(tenths, tens, max_lr, div, final, strategy):
    pct, total = tenths / 10, 10 * tens
    peak = round(pct * total) - 1
    if peak <= 0:
        return
    lrs = sched.one_cycle_lr(np.arange(total), max_lr, total, pct, strategy, div, final)
    assert lrs[peak] == pytest.approx(max_lr, rel=1e-12)
    assert np.all(lrs <= max_lr * (1 + 1e-12))
    assert np.all(np.diff(lrs[: peak + 1]) >= -1e-15) and np.all(np.diff(lrs[peak:]) <= 1e-15)
    assert lrs[0] == pytest.approx(max_lr / div) and lrs[-1] == pytest.approx(max_lr / div / final)


def test_three_phase_is_symmetric_about_the_peak():
    lrs = sched.one_cycle_lr(np.arange(100), 0.1, 100, 0.3, three_phase=True)
    assert lrs[29] == pytest.approx(0.1)
    np.testing.assert_allclose(lrs[:30], lrs[29:59][::-1], rtol=1e-12)  # up to 29, back down by step 58
    assert lrs[58] == pytest.approx(0.004) and lrs[99] == pytest.approx(4e-7)


def test_one_cycle_by_hand():
    """Linear: from 0.004 to 0.1 over steps 0..29, so step 10 is 0.004 + 0.096 * 10 / 29."""
    lrs = sched.one_cycle_lr(np.arange(100), 0.1, 100, 0.3, "linear")
    assert lrs[10] == pytest.approx(0.004 + 0.096 * 10 / 29)
    cos = sched.one_cycle_lr(np.arange(100), 0.1, 100, 0.3)
    assert cos[64] == pytest.approx(4e-7 + (0.1 - 4e-7) / 2 * (1 + math.cos(math.pi * 35 / 70)))


def test_parameters_are_validated():
    with pytest.raises(DemoInputError, match="whole epochs"):
        registry.run_json(NAME, {"milestones": [2.5]})
    with pytest.raises(DemoInputError, match="increasing"):
        registry.run_json(NAME, {"milestones": [80, 30]})
    with pytest.raises(DemoInputError, match="no steps"):
        registry.run_json(NAME, {"pct_start": 0.01})
    with pytest.raises(DemoInputError, match="stepped"):
        sched.one_cycle_lr([101], 0.1, 100)

"""early-stopping: Keras's rule against a loop written differently (the distance to the best epoch
instead of a counter), invariants by Hypothesis (best <= stopped <= given; a patience of at least
the number of epochs never stops early; an early stop lands patience epochs after the best), the
documented Keras example, ties with min_delta, restore_best_weights in Keras 3 and tf.keras 2."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import early_stopping as demo
from mlquiz.errors import DemoInputError

NAME = "early-stopping"


def _by_distance(losses, patience, min_delta):
    """(last epoch trained, best epoch), both from 1: an epoch that does not beat the best by more
    than min_delta stops training once it lies ``patience`` or more epochs after the best."""
    exact = [Fraction(repr(v)) for v in losses]
    delta = Fraction(repr(min_delta))
    best = 1
    for epoch in range(2, len(losses) + 1):
        if exact[epoch - 1] < exact[best - 1] - delta:
            best = epoch
        elif epoch - best >= patience:
            return epoch, best
    return len(losses), best


loss_lists = st.lists(st.sampled_from([0.5, 0.6, 0.65, 0.7, 0.72, 0.8, 0.9, 1.0, 1.5]), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(losses=loss_lists, patience=st.integers(0, 12), min_delta=st.sampled_from([0.0, 0.01, 0.05, 0.1, 0.2]))
def test_matches_a_loop_over_distances_to_the_best_epoch(losses, patience, min_delta):
    result = demo.compute(tuple(losses), patience, min_delta)
    assert (result.stopped_epoch, result.best_epoch) == _by_distance(losses, patience, min_delta)
    assert result.best_loss == losses[result.best_epoch - 1]
    assert len(result.improved) == len(result.wait) == result.stopped_epoch


@settings(max_examples=200, deadline=None)
@given(losses=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=40), patience=st.integers(0, 50),
       min_delta=st.floats(0.0, 10.0))
def test_invariants(losses, patience, min_delta):
    r = demo.compute(tuple(losses), patience, min_delta)
    assert 1 <= r.best_epoch <= r.stopped_epoch <= len(losses)
    assert r.epochs_not_trained == len(losses) - r.stopped_epoch
    if r.stopped_epoch < len(losses):
        assert r.stopped_early
    if patience >= len(losses):
        assert not r.stopped_early
    if r.stopped_early:
        assert r.stopped_epoch == r.best_epoch + max(patience, 1)
        assert r.epochs_without_improvement == max(patience, 1)
        assert r.restored_epoch_tf_keras2 == r.best_epoch
    else:
        assert r.restored_epoch_tf_keras2 == r.stopped_epoch
    assert r.restored_epoch == r.best_epoch
    assert r.improved[0] and r.wait[r.best_epoch - 1] == 0
    if min_delta == 0:  # the best is then the first lowest loss among the trained epochs
        trained = losses[:r.stopped_epoch]
        assert r.best_loss == min(trained) and r.best_epoch == trained.index(min(trained)) + 1
    assert r.lowest_given_loss <= r.best_loss


def test_defaults_by_hand():
    """1.0, 0.8, 0.7 improve; 0.72 and 0.71 do not: with patience 2 training ends after epoch 5."""
    out = registry.run_json(NAME, {})
    assert (out["stopped_epoch"], out["best_epoch"], out["best_loss"]) == (5, 3, 0.7)
    assert out["stopped_early"] and out["epochs_not_trained"] == 3
    assert out["wait"] == [0, 0, 0, 1, 2]
    assert out["final_loss"] == 0.71
    assert (out["lowest_given_epoch"], out["lowest_given_loss"]) == (6, 0.69)  # never reached
    longer = registry.run_json(NAME, {"patience": 3})
    assert (longer["stopped_epoch"], longer["best_epoch"], longer["stopped_early"]) == (8, 6, False)
    assert (longer["restored_epoch"], longer["restored_epoch_tf_keras2"]) == (6, 8)
    assert registry.run_json(NAME, {"patience": 0})["stopped_epoch"] == 4  # the first epoch that fails to improve


def test_patience_running_out_at_the_last_epoch_still_counts_as_a_stop():
    """Keras fires at the last epoch too: tf.keras 2 then restores the best weights."""
    r = demo.compute((1.0, 0.9, 0.95, 0.97), patience=2)
    assert r.stopped_early and r.stopped_epoch == 4 and r.epochs_not_trained == 0
    assert r.restored_epoch_tf_keras2 == 2


def test_keras_documented_example():
    """Keras's docstring: monitor='loss', patience=3, no improvement after epoch 1: 'Only 4 epochs are run.'"""
    assert demo.compute((1.0,) * 10, patience=3).stopped_epoch == 4


def test_a_drop_of_exactly_min_delta_does_not_count():
    """0.8 -> 0.7 with min_delta 0.1 is no improvement (0.7 < 0.8 - 0.1 is false); in floats
    0.8 - 0.1 = 0.7000000000000001 would have said otherwise."""
    result = demo.compute((1.0, 0.8, 0.7, 0.75), patience=2, min_delta=0.1)
    assert result.improved == (True, True, False, False)
    assert (result.stopped_epoch, result.best_epoch) == (4, 2)
    assert 0.7 < 0.8 - 0.1  # the float comparison the demo avoids


def test_min_delta_turns_small_gains_into_waits():
    losses = (1.0, 0.8, 0.7, 0.72, 0.71, 0.69, 0.75, 0.8)
    assert demo.compute(losses, 3, 0.0).best_epoch == 6
    strict = demo.compute(losses, 3, 0.02)  # 0.69 is only 0.01 better than 0.7
    assert (strict.best_epoch, strict.stopped_epoch) == (3, 6)


@pytest.mark.parametrize("params, message", [
    ({"losses": ""}, "not valid"),
    ({"patience": -1}, "out of range"),
    ({"min_delta": -0.1}, "out of range"),
    ({"losses": "1, nan"}, "finite"),
])
def test_rejects_bad_inputs(params, message):
    with pytest.raises(DemoInputError, match=message):
        registry.run_json(NAME, params)

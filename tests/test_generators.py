"""The scenario generators: documented shapes and laws, and refusal of impossible inputs."""

import numpy as np
import pytest

from privlearn.data import (
    APPLIANCES,
    credit_applicants,
    smart_home_events,
    synthetic_population,
)


def test_smart_home_events_shapes_and_habits():
    d = smart_home_events(2000, days=7, rng=0)
    assert d["usage"].shape == (2000, len(APPLIANCES), 24)
    assert d["habit_hour"].shape == (2000, len(APPLIANCES))
    # each appliance is used on 70% of days: 4.9 uses a week on average
    per_week = d["usage"].sum(axis=2).mean()
    assert abs(per_week - 4.9) < 6 * np.sqrt(7 * 0.21 / (2000 * len(APPLIANCES)))
    # the habitual hour gets most of the uses (0.8 of them plus its share of random hours)
    at_habit = np.take_along_axis(d["usage"], d["habit_hour"][..., None], axis=2).sum()
    assert at_habit / d["usage"].sum() > 0.75


def test_credit_applicants_rate_and_split():
    c = credit_applicants(20_000, rng=1, default_rate=0.2)
    assert abs(c["default"].mean() - 0.2) < 6 * np.sqrt(0.16 / 20_000)
    assert c["bank"]["x"].shape == (20_000, 4) and c["partner"]["x"].shape == (20_000, 3)
    assert np.array_equal(c["customer_id"], np.arange(20_000))


def test_population_columns():
    town = synthetic_population(100, rng=0)
    assert set(town) == {"person_id", "name", "zip", "birth_year", "birth_day", "sex",
                         "diagnosis"}
    assert all(len(v) == 100 for v in town.values())


@pytest.mark.parametrize("call, exc, words", [
    (lambda: smart_home_events(0), ValueError, "num_homes"),
    (lambda: smart_home_events(10, days=-1), ValueError, "days"),
    (lambda: smart_home_events(2.5), TypeError, "num_homes"),
    (lambda: credit_applicants(100, default_rate=1.5), ValueError, "default_rate"),
    (lambda: credit_applicants(100, default_rate=0.0), ValueError, "default_rate"),
    (lambda: credit_applicants(-5), ValueError, "n"),
    (lambda: synthetic_population(0), ValueError, "n"),
    (lambda: synthetic_population(10, num_zips=0), ValueError, "num_zips"),
])
def test_impossible_parameters_are_refused(call, exc, words):
    with pytest.raises(exc, match=words):
        call()

"""k-anonymity, l-diversity and the attribute-disclosure attacks, on tables worked by hand
and against a brute-force count on random tables."""

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privlearn.attacks import anonymity_report, attribute_disclosure, equivalence_classes

# Machanavajjhala et al. (2007), Figure 2 in miniature: classes by (zip prefix, age band)
TABLE = {
    "zip": np.array(["130**", "130**", "130**", "148**", "148**", "148**", "130**"]),
    "age": np.array(["<30", "<30", "<30", ">=40", ">=40", ">=40", "<30"]),
    "condition": np.array(["heart", "heart", "heart", "flu", "cancer", "cancer", "heart"]),
}
QI = ["zip", "age"]


def test_report_worked_by_hand():
    report = anonymity_report(TABLE, quasi_identifiers=QI, sensitive="condition")
    assert (report.k_anonymity, report.l_diversity, report.classes) == (3, 1, 2)
    assert report.homogeneous_rows == 4 and report.rows == 7  # the <30 class is all "heart"
    np.testing.assert_array_equal(equivalence_classes(TABLE, quasi_identifiers=QI),
                                  [0, 0, 0, 1, 1, 1, 0])


def test_homogeneity_and_background_knowledge_by_hand():
    targets = {"zip": np.array(["130**", "148**", "999**"]),
               "age": np.array(["<30", ">=40", "<30"])}
    plain = attribute_disclosure(TABLE, targets, quasi_identifiers=QI, sensitive="condition")
    assert plain.learned == {0: "heart"} and plain.not_found == 1 and plain.targets == 3
    # knowing target 1 does not have flu leaves "cancer" in a 2-diverse class
    informed = attribute_disclosure(TABLE, targets, quasi_identifiers=QI, sensitive="condition",
                                    ruled_out=[None, "flu", None])
    assert informed.learned == {0: "heart", 1: "cancer"}
    assert informed.learned_fraction == pytest.approx(2 / 3)
    # ruling out a value the class does not hold changes nothing
    assert attribute_disclosure(TABLE, targets, quasi_identifiers=QI, sensitive="condition",
                                ruled_out=[None, "measles", None]).learned == {0: "heart"}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 4)),
                min_size=1, max_size=40))
def test_report_against_brute_force(rows):
    table = {name: np.array([r[i] for r in rows]) for i, name in enumerate(("a", "b", "s"))}
    report = anonymity_report(table, quasi_identifiers=["a", "b"], sensitive="s")
    groups = Counter((a, b) for a, b, _ in rows)
    values = {key: {s for a, b, s in rows if (a, b) == key} for key in groups}
    assert report.k_anonymity == min(groups.values())
    assert report.l_diversity == min(len(v) for v in values.values())
    assert report.homogeneous_rows == sum(groups[k] for k, v in values.items() if len(v) == 1)
    # every target drawn from the table is found; learned exactly when its class has one value
    found = attribute_disclosure(table, {"a": table["a"], "b": table["b"]},
                                 quasi_identifiers=["a", "b"], sensitive="s")
    assert found.not_found == 0
    for i, (a, b, s) in enumerate(rows):
        assert (i in found.learned) == (len(values[(a, b)]) == 1)
        if i in found.learned:
            assert found.learned[i] == s

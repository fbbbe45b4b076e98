"""How a fundholder's yearly result varies with its list size.

From one year of simulated residents, each with a budget and the in-scope cost their
clinic paid, draw lists and compute each list's result, budget minus cost. A list has the
risk mix of one of the region's clinics: it is drawn (with replacement) from the residents
listed with one clinic, picked in proportion to its list, so lists differ as real lists do
(older in sparse areas, more need in some neighbourhoods) and the budget's risk adjustment
matters. The spread of the result, relative to the budget, and the probability of a
deficit beyond 5 % and 10 % of the budget, answer "how small can a clinic be"
(evidence.md E12, E13). Lists are sums of blocks of 1,000 residents drawn once per clinic,
so a list of 100,000 costs as little as a list of 1,000 and every size uses the same draws.
Lists of 200,000 and 300,000, larger than the default region, draw its whole catchment with
replacement: what a list of that size with the region's mix would face, so that "about
100,000" (E12) can be told from "more than 100,000".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.payment import Outcome
from sim.payment.fundholding import Fundholding

LIST_SIZES = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 300_000)
BLOCK = 1_000
BLOCKS = 4_000
LISTS = 4_000
DEFICITS = (0.05, 0.10)
MEASURES = ("result_cv", "p_deficit_over_5pct", "p_deficit_over_10pct")
#: the run summary's outcomes under fundholding: each measure by list size, mean over the years
LIST_SIZE_OUTCOMES = tuple(f"{name}[list_size={size}]" for size in LIST_SIZES for name in MEASURES)


class ListSizeRisk:
    """An observer of the model: at each year end that fundholding settles, the risk of a fundholder's result by
    list size, from that year's residents (their budgets, the in-scope cost their clinic kept, and their clinics)."""

    outcomes = tuple(
        Outcome(name, "under fundholding, for lists of N = 1,000 ... 300,000 residents drawn from the run's own residents: the spread of the yearly "
                "result over the budget, and the probability of a deficit beyond 5 % (10 %) of the budget, mean over the years (`sim/risk.py`)")
        for name in LIST_SIZE_OUTCOMES
    )

    def __init__(self):
        self.years: list[pd.DataFrame] = []  # per settled year: list_size_risk's table

    def observe(self, model, ep, fees, cases) -> None:
        for rule in model.region.rules:
            settled = rule.settled if isinstance(rule, Fundholding) else None
            if settled is not None and settled.month == model.month:
                distance = model.geography.road_km[np.ix_(settled.clinic_area, settled.clinic_area)]
                rng = model.streams.generator(f"list size risk {settled.month}")
                self.years.append(list_size_risk(settled.budget, settled.cost, settled.clinic, distance, rng))

    def summary(self, rules) -> dict[str, float | None]:
        """The mean over the years of each measure by list size (None without a settled year; nothing where the
        region's ``rules`` have no fundholding)."""
        if not any(isinstance(rule, Fundholding) for rule in rules):
            return {}
        if not self.years:
            return dict.fromkeys(LIST_SIZE_OUTCOMES)
        mean = pd.concat(self.years).groupby("list_size").mean()
        values = {f"{name}[list_size={size}]": float(mean.loc[size, name]) for size in LIST_SIZES for name in MEASURES}
        return {name: None if np.isnan(value) else value for name, value in values.items()}


def list_size_risk(
    budget: np.ndarray, cost: np.ndarray, clinic: np.ndarray, distance: np.ndarray, rng: np.random.Generator, sizes=LIST_SIZES
) -> pd.DataFrame:
    """For each list size: ``result_cv`` (standard deviation of the result per listed resident over the
    mean budget per listed resident) and the probabilities of a deficit over 5 % and 10 % of the budget.

    ``clinic`` is each resident's clinic and ``distance[i, j]`` the distance between clinics i and j. A list
    of size L is drawn from the catchment of a home clinic (picked in proportion to its list): the
    clinic and its nearest neighbours until they list L residents, each in proportion to its list.
    """
    clinics, members = np.unique(clinic, return_inverse=True)
    counts = np.bincount(members)
    per_clinic = np.maximum(np.rint(BLOCKS * counts / counts.sum()).astype(int), 1)
    order = np.argsort(members, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    owner = np.repeat(np.arange(len(clinics)), per_clinic)  # the clinic of each block
    draws = order[starts[owner, None] + (rng.random((len(owner), BLOCK)) * counts[owner, None]).astype(np.int64)]
    block_budget = budget[draws].sum(axis=1)
    block_cost = cost[draws].sum(axis=1)
    first = np.concatenate([[0], np.cumsum(per_clinic)[:-1]])
    nearest = np.argsort(distance[np.ix_(clinics, clinics)], axis=1, kind="stable")
    rows = []
    for size in sizes:
        # each clinic's catchment for this size: itself and its nearest neighbours until they list `size`
        reach = np.cumsum(counts[nearest], axis=1)
        members_of = [nearest[h, : int(np.searchsorted(reach[h], size)) + 1] for h in range(len(clinics))]
        home = rng.choice(len(clinics), size=LISTS, p=counts / counts.sum())
        picks = np.empty((LISTS, size // BLOCK), dtype=np.int64)
        for h in np.unique(home):
            lists = np.flatnonzero(home == h)
            catchment = members_of[h]
            which = rng.choice(catchment, size=(len(lists), size // BLOCK), p=counts[catchment] / counts[catchment].sum())
            picks[lists] = first[which] + (rng.random(which.shape) * per_clinic[which]).astype(np.int64)
        listed_budget = block_budget[picks].sum(axis=1)
        result = listed_budget - block_cost[picks].sum(axis=1)
        row = {"list_size": size, "result_cv": float(np.std(result, ddof=1) / listed_budget.mean())}
        for share in DEFICITS:
            row[f"p_deficit_over_{round(share * 100)}pct"] = float(np.mean(result < -share * listed_budget))
        rows.append(row)
    return pd.DataFrame(rows)

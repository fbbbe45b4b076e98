"""Risk adjustment: a resident's expected yearly cost from age and sex, the Care Need Index and morbidity.

The model is log-linear with a Poisson (quasi-)likelihood, the usual form of a risk-adjusted
capitation formula: expected cost = exp(intercept + age-and-sex effect + CNI effect +
morbidity effect). It is fitted on cell totals (cost and residents of each combination of
the classes) by iteratively reweighted least squares, so a million residents cost no more
to fit than a thousand. Residents with no cost in the year count: the model predicts the
mean, not the mean of users.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: personal CNI score classes: none, up to one typical factor, more (score points)
CNI_CLASS_EDGES = np.array([0.01, 6.2], dtype=np.float32)
N_AGE_SEX = 21 * 2
FACTORS = {
    "age_sex": ("age_sex",),
    "age_sex_cni": ("age_sex", "cni"),
    "age_sex_cni_morbidity": ("age_sex", "cni", "morbidity"),
}
LEVELS = {"age_sex": N_AGE_SEX, "cni": len(CNI_CLASS_EDGES) + 1, "morbidity": 4}


def classes(pop, rows: np.ndarray | slice = slice(None)) -> dict[str, np.ndarray]:
    """Each resident's class on every factor the models can use."""
    return {
        "age_sex": pop.band[rows].astype(np.int64) * 2 + pop.male[rows],
        "cni": np.searchsorted(CNI_CLASS_EDGES, pop.cni_score[rows], side="right"),
        "morbidity": pop.conditions[rows].astype(np.int64),
    }


@dataclass(frozen=True)
class RiskModel:
    adjustment: str
    coefficients: dict[str, np.ndarray]  # log relative cost per level of each factor
    intercept: float

    def expected(self, cls: dict[str, np.ndarray]) -> np.ndarray:
        """Expected yearly cost of each resident, SEK."""
        log = np.full(len(next(iter(cls.values()))), self.intercept)
        for factor in FACTORS[self.adjustment]:
            log += self.coefficients[factor][cls[factor]]
        return np.exp(log)


def fit(adjustment: str, cls: dict[str, np.ndarray], cost: np.ndarray, iterations: int = 25) -> RiskModel:
    """Fit the log-linear model of ``cost`` (SEK per resident and year) on the classes ``adjustment`` uses."""
    factors = FACTORS[adjustment]
    sizes = [LEVELS[f] for f in factors]
    cell = np.ravel_multi_index(tuple(cls[f] for f in factors), sizes)
    n_cells = int(np.prod(sizes))
    residents = np.bincount(cell, minlength=n_cells).astype(float)
    total = np.bincount(cell, weights=cost, minlength=n_cells)
    present = residents > 0
    levels = np.array(np.unravel_index(np.arange(n_cells), sizes)).T[present]
    # design: an intercept, then every level of every factor but its first (the reference)
    columns = [np.ones(len(levels))]
    for j, size in enumerate(sizes):
        columns += [(levels[:, j] == level).astype(float) for level in range(1, size)]
    x = np.column_stack(columns)
    n, y = residents[present], total[present]
    beta = np.zeros(x.shape[1])
    beta[0] = np.log(max(y.sum() / n.sum(), 1e-9))
    for _ in range(iterations):
        mu = n * np.exp(x @ beta)
        z = x @ beta + (y - mu) / np.maximum(mu, 1e-12)
        w = mu
        gram = x.T @ (w[:, None] * x) + 1e-6 * np.eye(x.shape[1])
        updated = np.linalg.solve(gram, x.T @ (w * z))
        if np.max(np.abs(updated - beta)) < 1e-9:
            beta = updated
            break
        beta = updated
    coefficients, at = {}, 1
    for factor, size in zip(factors, sizes):
        coefficients[factor] = np.concatenate([[0.0], beta[at : at + size - 1]])
        at += size - 1
    return RiskModel(adjustment, coefficients, float(beta[0]))

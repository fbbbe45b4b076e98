"""Residents' choice of clinic [listning]: a logit over nearby clinics with inertia.

A resident who chooses compares the clinics near home by distance and expected wait;
staying where one is listed carries an inertia bonus and, for those who see their usual
GP, a continuity bonus. Most residents never reconsider (Konkurrensverket 2012; Anell et
al. 2021, evidence.md E22). Those who never choose are listed with the nearest clinic
[ickevalsalternativ].
"""

from __future__ import annotations

import numpy as np

from sim.chunks import SIZE, chunks
from sim.population import Population
from sim.scenario import Choice
from sim.streams import Streams

CHOICE_SET = 10  # residents consider the 10 clinics nearest home, and their own (assumption)


def nearby_clinics(road_km: np.ndarray, clinic_area: np.ndarray, open_: np.ndarray, system: np.ndarray | None = None) -> np.ndarray:
    """For each area, the open clinics nearest its centre, nearest first (areas x k; -1 pads).

    ``system`` (per area, an integer) divides the care-choice system into geographic
    sub-areas: an area's residents consider only clinics standing in areas of their own
    sub-area, unless it has none.
    """
    n_areas = road_km.shape[0]
    system = np.zeros(n_areas, dtype=np.int64) if system is None else system
    candidates = np.flatnonzero(open_)
    k = min(CHOICE_SET, len(candidates))
    km = road_km[:, clinic_area[candidates]]
    outside = system[:, None] != system[clinic_area[candidates]][None, :]
    has_own = (~outside).any(axis=1, keepdims=True)
    km = np.where(outside & has_own, np.inf, km)
    order = np.argsort(km, axis=1, kind="stable")[:, :k]
    nearby = candidates[order]
    return np.where(np.isinf(np.take_along_axis(km, order, axis=1)), -1, nearby)


def nearest_clinic(
    pop: Population, rows: np.ndarray, nearby: np.ndarray, clinic_area: np.ndarray, streams: Streams, allowed: np.ndarray | None = None
) -> np.ndarray:
    """Listing by proximity: the nearest open clinic that takes new residents (``allowed``, per clinic), or the
    nearest of all where none near does (the last-resort duty); residents equally near several are spread among them."""
    candidates = nearby[pop.area[rows]]
    valid = candidates >= 0
    if allowed is not None:
        room = valid & allowed[np.maximum(candidates, 0)]
        valid = np.where(room.any(axis=1, keepdims=True), room, valid)
    km = np.where(valid, pop.geography.road_km_to(clinic_area, pop.area[rows][:, None], np.maximum(candidates, 0)), np.inf)
    order = np.argsort(km, axis=1, kind="stable")
    candidates = np.take_along_axis(candidates, order, axis=1)
    km = np.take_along_axis(km, order, axis=1)
    tie_break = streams.uniform("proximity", pop.pid[rows], 0)
    nearest = km <= km[:, :1] + 1e-9
    pick = np.floor(tie_break * nearest.sum(axis=1)).astype(np.int64)
    return candidates[np.arange(len(rows)), pick]


def choose_clinic(pop: Population, rows: np.ndarray, *args, appeal: tuple[np.ndarray, np.ndarray] | None = None, **kwargs) -> np.ndarray:
    """``_choose_clinic`` over chunks of residents (sim.chunks: the same result, bounded memory)."""
    if len(rows) <= SIZE:
        return _choose_clinic(pop, rows, *args, appeal=appeal, **kwargs)
    return np.concatenate([
        _choose_clinic(pop, rows[part], *args, appeal=None if appeal is None else (appeal[0], appeal[1][part]), **kwargs)
        for part in chunks(len(rows))
    ])


def _choose_clinic(
    pop: Population,
    rows: np.ndarray,
    nearby: np.ndarray,
    clinic_area: np.ndarray,
    wait_days: np.ndarray,
    params: Choice,
    streams: Streams,
    month: int,
    allowed: np.ndarray | None = None,
    appeal: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """The clinic each resident in ``rows`` lists with after weighing the nearby ones.

    A resident's current clinic (``pop.clinic``, -1 for none) stays in the choice set with
    the inertia and continuity bonuses. ``allowed`` (per clinic, bool) excludes clinics
    that take no new residents. ``appeal`` = (utility per SEK, per clinic; SEK, per
    resident of ``rows``) adds clinics' risk-selection pull: services that draw residents who are
    profitable to the clinic and deter the others.
    """
    current = pop.clinic[rows]
    candidates = nearby[pop.area[rows]]
    already = (candidates == current[:, None]).any(axis=1)
    candidates = np.concatenate([candidates, np.where(already | (current < 0), -1, current)[:, None]], axis=1)
    valid = candidates >= 0
    safe = np.where(valid, candidates, 0)
    km = pop.geography.road_km_to(clinic_area, pop.area[rows][:, None], safe) + pop.home_km[rows, None]
    stay = safe == current[:, None]
    usual_share = pop.usual_visits_18m[rows] / np.maximum(pop.visits_18m[rows], 1)
    utility = (
        -params.distance_per_km * km
        - params.wait_per_day * wait_days[safe]
        + stay * (params.inertia + params.continuity * usual_share[:, None])
    )
    if appeal is not None:
        per_sek, worth = appeal
        utility = utility + per_sek[safe] * worth[:, None]
    if allowed is not None:
        room = valid & (allowed[safe] | stay)
        valid = np.where(room.any(axis=1, keepdims=True), room, valid)  # nowhere with room: weigh all (the region places them)
    utility = np.where(valid, utility, -np.inf)
    p = np.exp(utility - utility.max(axis=1, keepdims=True))
    cdf = np.cumsum(p, axis=1) / p.sum(axis=1, keepdims=True)
    u = streams.uniform("choice", pop.pid[rows], month)
    pick = np.minimum((u[:, None] > cdf).sum(axis=1), candidates.shape[1] - 1)
    return safe[np.arange(len(rows)), pick]

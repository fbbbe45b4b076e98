"""Following residents through a run: one row per followed resident and month.

A policy analyst tells one patient's story from it: their state (age, health, conditions,
clinic), their episodes (need and care given, where, whether referred), the hospital care
they had and the money that moved for them (fees paid; what the region paid their clinic
for them from the list-based rules and for their visits). Columns: docs/outputs.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.hospital import ROUTES
from sim.needs import CHANNELS
from sim.population import cni_score


class Follower:
    """An observer of the model that keeps the monthly story of ``k`` residents sampled at the start."""

    def __init__(self, k: int):
        self.k = k
        self.pids: np.ndarray | None = None
        self.rows: list[dict] = []

    def observe(self, model, ep, fees, cases) -> None:
        pop = model.population
        if self.pids is None:
            rng = model.streams.generator("follow")
            self.pids = np.sort(rng.choice(pop.pid, size=min(self.k, len(pop)), replace=False))
        rows = np.flatnonzero(np.isin(pop.pid, self.pids))
        listed_sek = model.region.per_listed_sek_per_month(rows)
        visit_sek = model.region.rules_per_visit(ep) * ep.q_delivered
        names = [p.name for p in model.providers]
        for row, listed in zip(rows, listed_sek):
            mine = ep.row == row
            hospital = cases.row == row
            self.rows.append(
                {
                    "month": model.reported_month + 1,
                    "pid": int(pop.pid[row]),
                    "age": int(pop.age[row]),
                    "male": bool(pop.male[row]),
                    "area": model.geography.area_names[pop.area[row]],
                    "clinic": names[pop.clinic[row]],
                    "conditions": int(pop.conditions[row]),
                    "cni_score": float(cni_score(pop.cni_bits[row : row + 1])[0]),
                    "health": float(pop.health[row]),
                    "episodes": int(mine.sum()),
                    "q_star": int(ep.q_star[mine].sum()),
                    "q_chosen": int(ep.q[mine].sum()),
                    "q_delivered": int(ep.q_delivered[mine].sum()),
                    "channels": ",".join(CHANNELS[c] for c in ep.channel[mine]),
                    "needed_specialist": int(ep.needs_specialist[mine].sum()),
                    "referred": int(ep.referred[mine].sum()),
                    "hospital_cases": ",".join(ROUTES[r] for r in cases.route[hospital]),
                    "hospital_cost_sek": float(cases.cost[hospital].sum()),
                    "patient_fees_sek": float(fees[mine].sum()),
                    "patient_fees_this_year_sek": float(pop.fees_paid[row]),
                    "region_list_payments_sek": float(listed),
                    "region_visit_payments_sek": float(visit_sek[mine].sum()),
                }
            )

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

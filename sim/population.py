"""The residents: one agent per resident, stored column-wise (one NumPy array per attribute).

``pop.age[i]``, ``pop.health[i]`` and ``pop.clinic[i]`` are resident ``i``'s age, health
and listed clinic; every decision is taken for all residents at once, each with their
own keyed random draw (``sim.streams``). A resident keeps their ``pid`` for life, so an
analyst can follow one through a run. Rows are compacted once a year, when the dead and
those who moved out leave and newborns and those who moved in arrive.
"""

from __future__ import annotations

import numpy as np

from sim.chunks import chunks
from sim.geography import AREA_TYPES, Geography
from sim.scenario import N_AGE_BANDS, Population as PopulationParams
from sim.streams import Streams

#: Care Need Index factors and their weights [vårdtyngdsfaktorer] (rulebooks.md 1; sweden.md 6)
CNI_FACTORS = (
    ("elderly_alone", 6.15),  # aged 65+ and living alone
    ("foreign_born", 5.72),  # born in southern/eastern Europe outside the EU, Asia, Africa, South America
    ("unemployed", 5.13),  # unemployed or in a labour-market programme, aged 16-64
    ("single_parent", 4.19),  # single parent with a child aged 17 or younger
    ("moved_in", 4.19),  # moved into the area, aged 1+
    ("low_education", 3.97),  # low education, aged 25-64
    ("under_5", 3.23),  # younger than 5
)
CNI_WEIGHTS = np.array([w for _, w in CNI_FACTORS], dtype=np.float32)
BIT = {name: np.uint8(1 << k) for k, (name, _) in enumerate(CNI_FACTORS)}

#: equity groups reported for every outcome
AGE_GROUPS = ("0-19", "20-64", "65-79", "80+")
AGE_GROUP_EDGES = np.array([20, 65, 80])
CNI_QUINTILES = ("Q1 (least need)", "Q2", "Q3", "Q4", "Q5 (most need)")
N_CELLS = len(CNI_QUINTILES) * len(AGE_GROUPS) * len(AREA_TYPES)

COLUMNS: dict[str, type] = {
    "pid": np.int64,  # identity for life
    "age": np.int16,  # years
    "male": np.bool_,
    "area": np.int16,  # home area
    "home_km": np.float32,  # distance from home to the area's centre, km
    "cni_bits": np.uint8,  # CNI factors, one bit each (CNI_FACTORS order)
    "income_quintile": np.int8,  # 0 = lowest fifth of the region's incomes
    "conditions": np.int8,  # chronic conditions, 0-3 (3 means 3 or more): an ACG-like morbidity class
    "health": np.float32,  # index in [0, 1]
    "health_baseline": np.float32,  # where health drifts back to, given age and conditions
    "clinic": np.intp,  # listed clinic (index), -1 if none; the platform's index type, as np.bincount wants
    "active_chooser": np.bool_,  # chooses a clinic; otherwise listed by proximity [ickeval]
    "digital_taste": np.int8,  # own taste for digital care, a standard normal in 1/32 steps, fixed for life
    "switches_this_year": np.int8,
    "fees_paid": np.float32,  # patient fees this calendar year, SEK
    "cost_year": np.float32,  # region's spending attributable to the resident this year, SEK
    "visits_18m": np.int16,  # primary-care visits in the last 18 months
    "usual_visits_18m": np.int16,  # of which with the usual GP at the listed clinic
}
ELDERLY_ALONE_SHARE = 0.33  # of residents aged 65+ (assumption)
TASTE_STEPS = 32  # digital_taste / TASTE_STEPS is a standard normal
WINDOW_QUARTERS = 6  # continuity is measured over 18 months (rulebooks.md 1): the last six quarters
#: cut points of the latent income index that split a typical region into fifths (calibrated once on the
#: Jämtland preset, so that quintiles are fixed cut-offs and newcomers fall into them without re-ranking)
INCOME_QUINTILE_EDGES = np.array([-1.55, -0.65, 0.05, 0.75])  # continuity is measured over 18 months (rulebooks.md 1)


def age_band(age: np.ndarray) -> np.ndarray:
    """Five-year age band 0..20 (100+ is the last)."""
    return np.minimum(age // 5, N_AGE_BANDS - 1).astype(np.int8)


def age_group(age: np.ndarray) -> np.ndarray:
    """Equity age group 0..3 (AGE_GROUPS)."""
    group = np.zeros(age.shape, dtype=np.int8)
    for edge in AGE_GROUP_EDGES:
        group += age >= edge
    return group


class Population:
    """Residents as columns; see ``COLUMNS`` for the attributes and their units."""

    def __init__(self, columns: dict[str, np.ndarray], geography: Geography, params: PopulationParams):
        self.geography = geography
        self.params = params
        for name, dtype in COLUMNS.items():
            setattr(self, name, np.asarray(columns[name], dtype=dtype))
        n = len(self.pid)
        self.visits_ring = np.zeros((WINDOW_QUARTERS, n), dtype=np.uint8)  # visits per quarter
        self.usual_ring = np.zeros((WINDOW_QUARTERS, n), dtype=np.uint8)  # of which with the usual GP
        self.next_pid = int(self.pid.max()) + 1 if n else 0
        self.area_quintile = _area_cni_quintiles(geography, self)
        self.refresh()

    def __len__(self) -> int:
        return len(self.pid)

    # ------------------------------------------------------------------ derived attributes

    def refresh(self) -> None:
        """Recompute the attributes derived from age, area and conditions (after ageing or arrivals).

        They hold until the next yearly change, as does whatever was derived from them elsewhere (``derived``).
        """
        self._derived: dict = {}
        self.band = age_band(self.age)
        self.area_type = self.geography.area_type[self.area]
        self.cell = self.area_quintile[self.area].astype(np.int16)
        self.cell *= len(AGE_GROUPS)
        self.cell += age_group(self.age)
        self.cell *= len(AREA_TYPES)
        self.cell += self.area_type
        self.health_baseline = baseline_health(self.age, self.conditions, self.params)
        self.cell_counts = np.bincount(self.cell, minlength=N_CELLS)
        self.deficit = np.maximum(self.health_baseline - self.health, 0)

    def derived(self, name: str, compute):
        """A quantity derived from attributes that change once a year (age, conditions, CNI factors, home; e.g. a
        payment rule's sum per resident): ``compute()`` when first asked after the population last changed, then kept."""
        if name not in self._derived:
            self._derived[name] = compute()
        return self._derived[name]

    def forget(self, name: str) -> None:
        """What ``derived`` kept under ``name`` no longer holds (what it derives from besides the residents changed)."""
        self._derived.pop(name, None)

    @property
    def cni_score(self) -> np.ndarray:
        """Each resident's Care Need Index score (computed when asked: it is needed once a year)."""
        return cni_score(self.cni_bits)

    def hospital_km(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Road km from residents ``rows`` to the hospital."""
        return self.geography.hospital_km.astype(np.float32)[self.area[rows]] + self.home_km[rows]

    def distance_to_listed(self, clinic_area: np.ndarray, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Road km from residents ``rows`` (all by default) to their listed clinic."""
        km = self.geography.road_km_to(clinic_area, self.area[rows], self.clinic[rows] % len(clinic_area))
        km += self.home_km[rows]
        return km

    # ------------------------------------------------------------------ monthly

    def recover(self) -> None:
        """Health drifts back toward its baseline: part of the gap closes each month.

        ``deficit`` (health below baseline) then drives the month's need and emergency risk.
        """
        recovery = np.float32(self.params.health.recovery_per_month)
        for part in chunks(len(self)):
            health, baseline = self.health[part], self.health_baseline[part]
            health += recovery * (baseline - health)
            np.maximum(baseline - health, 0, out=self.deficit[part])

    def record_visits(self, month: int, rows: np.ndarray, visits: np.ndarray, usual: np.ndarray) -> None:
        """Add a month's visits of residents ``rows`` (each once) to the window: the current quarter and the five before it.

        At the first month of a quarter the oldest quarter drops out, so the window spans
        16 to 18 months; visits per quarter are capped at 255.
        """
        quarter = (month // 3) % WINDOW_QUARTERS
        if month % 3 == 0:
            self.visits_18m -= self.visits_ring[quarter]
            self.usual_visits_18m -= self.usual_ring[quarter]
            self.visits_ring[quarter] = 0
            self.usual_ring[quarter] = 0
        for ring, total, new in ((self.visits_ring, self.visits_18m, visits), (self.usual_ring, self.usual_visits_18m, usual)):
            added = np.minimum(new, 255 - ring[quarter, rows].astype(np.int16)).astype(np.uint8)
            ring[quarter, rows] += added
            total[rows] += added

    def seed_history(self, visits_per_month: np.ndarray, usual_share: np.ndarray, rng: np.random.Generator) -> None:
        """Fill the 18-month window with visits drawn from each resident's expected rate, so
        continuity is measured from the first month as in a system that has been running."""
        for quarter in range(WINDOW_QUARTERS):
            visits = np.minimum(rng.poisson(3 * visits_per_month), 255)
            usual = rng.binomial(visits, usual_share)
            self.visits_ring[quarter] = visits
            self.usual_ring[quarter] = usual
        self.visits_18m = self.visits_ring.sum(axis=0, dtype=np.int16)
        self.usual_visits_18m = self.usual_ring.sum(axis=0, dtype=np.int16)

    def continuity(self) -> tuple[np.ndarray, np.ndarray]:
        """Bice-Boxerman continuity of care for residents with 3+ visits in 18 months.

        With n visits to the usual GP out of N, and every other visit with a different
        professional, COC = n (n - 1) / (N (N - 1)). Returns (eligible mask, index; 0 where
        not eligible).
        """
        eligible, index = np.empty(len(self), bool), np.empty(len(self), np.float32)
        for part in chunks(len(self)):
            total = self.visits_18m[part].astype(np.float32)
            usual = self.usual_visits_18m[part].astype(np.float32)
            eligible[part] = total >= 3
            index[part] = usual * (usual - 1) / np.maximum(total * (total - 1), 1) * eligible[part]
        return eligible, index

    def named_doctor(self) -> np.ndarray:
        """Residents who have a doctor of their own [fast läkarkontakt]: at least two visits in 18 months, at least half
        of them with their usual GP (the survey of sweden.md 8 asks whether one perceives having one; about 3 in 10 do)."""
        return (self.visits_18m >= 2) & (2 * self.usual_visits_18m >= self.visits_18m)

    # ------------------------------------------------------------------ yearly demography

    def turn_year(self, leave: np.ndarray, newcomers: list[dict[str, np.ndarray]], streams: Streams, month: int) -> list[np.ndarray]:
        """A year passes: residents in ``leave`` (died, moved out) leave, everybody ages a year,
        and ``newcomers`` (newborns, those who moved in) arrive. Returns each group's rows.

        Newcomers take the rows of those who left; surplus newcomers are appended, surplus
        empty rows are filled from the end. No column is copied whole unless the population grows.
        """
        self._age_one_year(streams, month)
        incoming = {name: np.concatenate([np.asarray(c[name], dtype=dtype) for c in newcomers]) for name, dtype in COLUMNS.items()}
        n_in = len(incoming["pid"])
        holes = np.flatnonzero(leave)
        fill = min(len(holes), n_in)
        rows = np.concatenate([holes[:fill], np.arange(len(self.pid), len(self.pid) + n_in - fill)])
        self._put(holes[:fill], incoming, slice(0, fill))
        if n_in > fill:
            self._grow(incoming, slice(fill, n_in))
        else:
            self._drop(holes[fill:])
        self.next_pid = int(self.pid.max()) + 1
        self.refresh()
        sizes = np.cumsum([0] + [len(c["pid"]) for c in newcomers])
        return [rows[a:b] for a, b in zip(sizes[:-1], sizes[1:])]

    def _put(self, rows: np.ndarray, incoming: dict[str, np.ndarray], part: slice) -> None:
        for name in COLUMNS:
            getattr(self, name)[rows] = incoming[name][part]
        self.visits_ring[:, rows] = 0
        self.usual_ring[:, rows] = 0

    def _grow(self, incoming: dict[str, np.ndarray], part: slice) -> None:
        for name in COLUMNS:
            setattr(self, name, np.concatenate([getattr(self, name), incoming[name][part]]))
        empty = np.zeros((WINDOW_QUARTERS, part.stop - part.start), np.uint8)
        self.visits_ring = np.concatenate([self.visits_ring, empty], axis=1)
        self.usual_ring = np.concatenate([self.usual_ring, empty], axis=1)

    def _drop(self, holes: np.ndarray) -> None:
        """Remove the rows ``holes`` by moving the last rows into them."""
        n_final = len(self.pid) - len(holes)
        tail = np.setdiff1d(np.arange(n_final, len(self.pid)), holes, assume_unique=True)
        targets = holes[holes < n_final]
        for name in COLUMNS:
            column = getattr(self, name)
            column[targets] = column[tail]
            setattr(self, name, column[:n_final])
        for ring in ("visits_ring", "usual_ring"):
            values = getattr(self, ring)
            values[:, targets] = values[:, tail]
            setattr(self, ring, values[:, :n_final])

    def _new_condition_probability(self, m) -> np.ndarray:
        """Probability of a new chronic condition in the coming year of age: the rise of the age curve, raised by CNI."""
        rise = expected_conditions(self.age + 1, m) - expected_conditions(self.age, m)
        return rise * (1 + np.float32(m.cni_effect_per_point) * self.cni_score)

    def _age_one_year(self, streams: Streams, month: int) -> None:
        """Everybody ages a year; age-bound CNI factors and chronic conditions follow."""
        m = self.params.morbidity
        gain, alone = streams.uniforms("ageing", self.pid, month, parts=2)
        gain = gain < self._new_condition_probability(m)
        self.age += 1
        self.conditions = np.minimum(self.conditions + gain, 3).astype(np.int8)
        self.cni_bits &= ~BIT["under_5"]
        self.cni_bits |= np.where(self.age < 5, BIT["under_5"], 0).astype(np.uint8)
        self.cni_bits &= np.where(self.age >= 65, ~BIT["unemployed"], 0xFF).astype(np.uint8)
        lives_alone = (self.age == 65) & (alone < ELDERLY_ALONE_SHARE)
        self.cni_bits |= np.where(lives_alone, BIT["elderly_alone"], 0).astype(np.uint8)
        self.switches_this_year[:] = 0
        self.fees_paid[:] = 0
        self.cost_year[:] = 0


# ---------------------------------------------------------------------------- functions


def _sum_of_weights(bits: np.ndarray) -> np.ndarray:
    score = np.zeros(bits.shape, dtype=np.float32)
    for k, weight in enumerate(CNI_WEIGHTS):
        score += ((bits >> k) & 1) * weight
    return score


_SCORE_OF_BITS = _sum_of_weights(np.arange(256, dtype=np.uint8))  # float32, for every combination of the factors


def cni_score(bits: np.ndarray) -> np.ndarray:
    """A resident's Care Need Index score: the sum of the weights of their factors (looked up, one pass)."""
    return _SCORE_OF_BITS[bits]


def expected_conditions(age: np.ndarray, m) -> np.ndarray:
    """Mean number of chronic conditions at ``age`` (before the CNI effect)."""
    return m.conditions_at_birth + m.conditions_at_100 * (np.asarray(age, np.float32) / 100.0) ** m.age_exponent


def baseline_health(age: np.ndarray, conditions: np.ndarray, params: PopulationParams) -> np.ndarray:
    h = params.health
    value = h.baseline_at_30 - h.decline_per_year_of_age * np.maximum(age - 30, 0) - h.decline_per_condition * conditions
    return np.clip(value, 0.05, 1.0).astype(np.float32)


def _area_cni_quintiles(geography: Geography, pop: Population) -> np.ndarray:
    """Quintile (0..4) of each area by its residents' mean CNI score, by population.

    Areas are ordered by mean score; an area falls in the quintile that holds the middle
    of its residents in the cumulative population.
    """
    n_areas = len(geography.area_names)
    score = cni_score(pop.cni_bits)
    residents = np.bincount(pop.area, minlength=n_areas).astype(float)
    mean = np.bincount(pop.area, weights=score, minlength=n_areas) / np.maximum(residents, 1)
    order = np.argsort(mean, kind="stable")
    middle = np.cumsum(residents[order]) - residents[order] / 2
    quintile = np.empty(n_areas, dtype=np.int8)
    quintile[order] = np.minimum((middle / residents.sum() * 5).astype(int), 4)
    return quintile


def synthesise(geography: Geography, params: PopulationParams, streams: Streams) -> Population:
    """Generate the residents of a region: age, sex, home, CNI factors, income, conditions.

    Age follows the region's broad age shares, uniform within a band (80+ falling
    geometrically to age 105) and tilted toward the old in areas with an ``elderly``
    factor above 1. All shapes within bands are assumptions.
    """
    rng = streams.generator("population")
    # rows in random order: per-clinic and per-cell sums (np.bincount) run far faster over
    # shuffled indices than over long runs of one index
    area = rng.permutation(np.repeat(np.arange(len(geography.residents)), geography.residents)).astype(np.int16)
    density = _age_density(geography.age_shares)
    age = np.empty(len(area), dtype=np.int16)
    for a in np.unique(area):
        rows = np.flatnonzero(area == a)
        weights = density * np.where(np.arange(len(density)) >= 65, geography.elderly[a], 1.0)
        age[rows] = rng.choice(len(density), size=len(rows), p=weights / weights.sum())
    columns = _new_residents(rng, geography, params, area, age, np.arange(len(area), dtype=np.int64), moved_in=False)
    return Population(columns, geography, params)


def newcomers(pop: Population, n: int, first_pid: int, streams: Streams, year: int, newborn: bool) -> dict[str, np.ndarray]:
    """Columns of ``n`` newborns, or ``n`` residents moving in, with pids from ``first_pid``.

    Newborns arrive in areas in proportion to the areas' residents aged 20-44; those who
    move in, in proportion to all residents, mostly young adults (a mobility curve peaking
    at 27, assumption), and carry the CNI factor 'moved into the area'.
    """
    rng = streams.generator(f"{'births' if newborn else 'moving in'} {year}")
    geo = pop.geography
    weight = ((pop.age >= 20) & (pop.age < 45)) if newborn else np.ones(len(pop), bool)
    by_area = np.bincount(pop.area, weights=weight, minlength=len(geo.area_names))
    area = rng.choice(len(by_area), size=n, p=by_area / by_area.sum()).astype(np.int16)
    if newborn:
        age = np.zeros(n, dtype=np.int16)
    else:
        ages = np.arange(106)
        mobility = (np.exp(-(((ages - 27) / 12.0) ** 2)) + 0.15) * _age_density(geo.age_shares)
        age = rng.choice(ages, size=n, p=mobility / mobility.sum()).astype(np.int16)
    pid = np.arange(first_pid, first_pid + n, dtype=np.int64)
    return _new_residents(rng, geo, pop.params, area, age, pid, moved_in=not newborn)


def _age_density(shares: dict[str, float]) -> np.ndarray:
    density = np.zeros(106)
    for band, lo, hi in (("0-17", 0, 18), ("18-64", 18, 65), ("65-79", 65, 80)):
        density[lo:hi] = shares[band] / (hi - lo)
    tail = 0.88 ** np.arange(106 - 80)
    density[80:] = shares["80+"] * tail / tail.sum()
    return density


def _new_residents(
    rng: np.random.Generator,
    geography: Geography,
    params: PopulationParams,
    area: np.ndarray,
    age: np.ndarray,
    pid: np.ndarray,
    moved_in: bool,
) -> dict[str, np.ndarray]:
    """Columns for new residents of the given areas and ages.

    Socioeconomic CNI factors are more common in areas with a higher ``deprivation``
    factor; prevalences are assumptions (the domain files give the weights, not the
    prevalences). Income falls with CNI factors and deprivation. Chronic conditions rise
    with age and CNI.
    """
    n = len(area)
    dep = geography.deprivation[area].astype(np.float32)
    adult = (age >= 16) & (age < 65)
    prevalence = {
        "elderly_alone": lambda: (age >= 65) * np.float32(ELDERLY_ALONE_SHARE),
        "foreign_born": lambda: np.minimum(0.07 * dep**1.5, 0.5),
        "unemployed": lambda: adult * np.minimum(0.06 * dep, 0.4),
        "single_parent": lambda: ((age >= 20) & (age < 55)) * np.minimum(0.08 * dep**0.7, 0.4),
        "moved_in": lambda: (age >= 1) * np.float32(1.0 if moved_in else 0.06),
        "low_education": lambda: ((age >= 25) & (age < 65)) * np.minimum(0.1 * dep, 0.5),
        "under_5": lambda: (age < 5).astype(np.float32),
    }
    bits = np.zeros(n, dtype=np.uint8)
    for name, _ in CNI_FACTORS:
        bits |= (rng.random(n, dtype=np.float32) < prevalence[name]()).astype(np.uint8) * BIT[name]
    score = cni_score(bits)
    latent_income = -0.25 * score - 0.6 * np.log(dep) + rng.normal(0.0, 1.0, n) + np.where(adult, 0.5, 0.0)
    income_quintile = np.searchsorted(INCOME_QUINTILE_EDGES, latent_income).astype(np.int8)
    m = params.morbidity
    mean_conditions = expected_conditions(age, m) * (1 + m.cni_effect_per_point * score)
    conditions = np.minimum(rng.poisson(mean_conditions), 3).astype(np.int8)
    zeros = np.zeros(n)
    return {
        "pid": pid,
        "age": age,
        "male": rng.random(n) < np.where(age >= 80, 0.42, 0.505),
        "area": area,
        "home_km": rng.exponential(1.0, n) * geography.spread_km[area],
        "cni_bits": bits,
        "income_quintile": income_quintile,
        "conditions": conditions,
        "health": baseline_health(age, conditions, params),
        "health_baseline": zeros,
        "clinic": np.full(n, -1),
        "active_chooser": zeros,
        "digital_taste": np.clip(np.rint(rng.standard_normal(n) * TASTE_STEPS), -127, 127),
        "switches_this_year": zeros,
        "fees_paid": zeros,
        "cost_year": zeros,
        "visits_18m": zeros,
        "usual_visits_18m": zeros,
    }

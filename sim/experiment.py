"""Experiment files: a base scenario, factors, a design, replications and the outcomes to keep.

    name: payment-comparison
    description: ...
    base: jamtland-2020                  # a scenario file (relative to this file) or a built-in name
    fixed: {months: 60}                  # field paths set in every run
    factors:
      scenario: [jamtland-2020, fee-for-service]     # replaces the base scenario per variant
      rulebook.capitation.cni_share: [0.25, 0.4]     # a list of values ...
      market.staffing.margin_response: {low: 0, high: 1}  # ... or a range (sampled designs; a grid needs steps)
    design: grid                         # or {method: latin_hypercube | sobol | morris, n: 32}
    replications: 20
    seed: 1                              # replication r runs with the r-th seed spawned from it, in every variant
    outcomes: [undertreatment_rate, cost_per_capita_sek]
    by_group: [cni_quintile]             # also keep the outcomes by these groups
    variants:                            # optional: named sets of field values, each a variant
      stop-loss: {rulebook.fundholding.stop_loss_sek: 100000}
    tables: [list_size]                  # optional: list-size.csv beside runs.parquet (fundholding)
    uncertainty: parameters              # or seeds (the default): replications also draw the free parameters
    posterior: ../results/calibration/ensemble.parquet  # optional: the draws (default: the adopted sim/posterior.parquet)

A variant is one point of the design (one scenario, one named variant if the file has
``variants:``, and one value of every factor); every variant runs once per replication. Variants with the same replication index share a seed
(common random numbers), so their differences are paired. Every variant's scenario is
built and validated before anything runs: a bad experiment stops with one sentence and
writes nothing.

With ``uncertainty: parameters`` the replications also carry the uncertainty of the
parameters no source pins down: replications 2j and 2j+1 run posterior draw j (the free
parameters' values, beneath whatever the experiment itself sets), each on its own seed, in
every variant. Two seeds per draw let the comparison tell the seeds' noise (within a draw)
from the parameters' uncertainty (between draws) at no extra runs (an analysis of variance,
O'Hagan, Stevenson & Madan 2007).
"""

from __future__ import annotations

import difflib

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.errors import UserError, describe_validation
from sim.population import AGE_GROUPS, CNI_QUINTILES
from sim.geography import AREA_TYPES
from sim.risk import LIST_SIZE_OUTCOMES
from sim.runner import EXTRA_OUTCOMES, HEADLINE
from sim.nation import NATIONAL_OUTCOMES, NationalScenario, is_national, read_national, region_scenarios
from sim.regions.generate import read_csv
from sim.scenario import Scenario, builtin_dir, load_scenario, read_yaml, resolve_scenario_path

GROUPINGS = {
    "cni_quintile": [q.split(" ")[0] for q in CNI_QUINTILES],
    "age_group": list(AGE_GROUPS),
    "area_type": list(AREA_TYPES),
    "region": [row["region"] for row in read_csv("sweden-regions.csv")],  # a national run's regions (sim.nation)
}
#: the rules' own outcomes and fundholding's by list size among the extra; a national run's own last
OUTCOMES = tuple(HEADLINE) + tuple(EXTRA_OUTCOMES) + NATIONAL_OUTCOMES
DEFAULT_OUTCOMES = (
    "undertreatment_rate",
    "overtreatment_rate",
    "underreferral_rate",
    "visits_per_capita",
    "cost_per_capita_sek",
    "access_3day_share",
    "continuity_index",
    "mean_health",
    "clinic_margin_mean",
    "clinics_final",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """A continuous factor: sampled uniformly between low and high; a grid takes ``steps`` evenly spaced values."""

    low: float
    high: float
    steps: int | None = Field(None, ge=2, le=1000)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError("low must be below high")
        return self


class Design(_Strict):
    method: Literal["grid", "latin_hypercube", "sobol", "morris"] = "grid"
    n: int | None = Field(None, ge=1, le=100_000, description="Points (latin hypercube), base samples (Sobol, a power of 2), trajectories (Morris).")
    levels: int = Field(4, ge=2, le=20, description="Grid levels of a Morris design.")
    seed: int = Field(1, ge=0, description="Seed of the design's sample.")

    @model_validator(mode="after")
    def _sized(self) -> Design:
        if self.method != "grid" and self.n is None:
            raise ValueError(f"n: a {self.method} design needs n, its {'base samples (a power of 2)' if self.method == 'sobol' else 'points' if self.method == 'latin_hypercube' else 'trajectories'}")
        if self.method == "sobol" and self.n & (self.n - 1):
            raise ValueError("n: a Sobol design needs n a power of 2 (8, 16, 32, ...)")
        return self


class Experiment(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    base: str = "jamtland-2020"
    fixed: dict[str, Any] = Field(default_factory=dict)
    factors: dict[str, list[Any] | Range] = Field(default_factory=dict)
    variants: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Named sets of field values, each a variant of its own (crossed with the factors)."
    )
    design: Design = Design()
    replications: int = Field(1, ge=1, le=10_000)
    seed: int = Field(1, ge=0)
    outcomes: list[str] = Field(default_factory=lambda: list(DEFAULT_OUTCOMES), min_length=1)
    by_group: list[Literal["cni_quintile", "age_group", "area_type", "region"]] = Field(
        default_factory=list, description="Groups each outcome is also kept by: residents' CNI quintile, age group, area type; or, for a national base, region."
    )
    tables: list[Literal["list_size"]] = Field(
        default_factory=list, description="Tables written beside runs.parquet when the sweep ends: list_size (list-size.csv, fundholding)."
    )
    uncertainty: Literal["seeds", "parameters"] = Field(
        "seeds", description="What the replications vary: the seeds alone, or the seeds and the free parameters' posterior draws (two seeds per draw)."
    )
    posterior: str | None = Field(None, description="With uncertainty: parameters, the ensemble its draws come from (an ensemble.parquet of 'vardval calibrate', relative to this file); default: the adopted sim/posterior.parquet.")

    @field_validator("design", mode="before")
    @classmethod
    def _design_by_name(cls, value: Any) -> Any:
        """``design: grid`` is short for ``design: {method: grid}``."""
        return {"method": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        unknown = [o for o in self.outcomes if o not in OUTCOMES]
        if unknown:
            near = difflib.get_close_matches(unknown[0], OUTCOMES, n=3, cutoff=0.6)
            hint = f"did you mean {' or '.join(repr(n) for n in near)}?" if near else "docs/outputs.md lists the outcomes (the keys of a run's summary.json)"
            raise ValueError(f"outcomes: unknown outcome {unknown[0]!r}; {hint}")
        for path, values in self.factors.items():
            if isinstance(values, list) and not values:
                raise ValueError(f"factors.{path}: has no values; give a list of at least one value, or a range {{low: ..., high: ...}}")
            if path == "scenario" and not isinstance(values, list):
                raise ValueError("factors.scenario: takes a list of scenario files or names")
            if self.design.method == "grid" and isinstance(values, Range) and values.steps is None:
                raise ValueError(f"factors.{path}: is a range, and a grid needs its steps; add steps: N, or give a list of values")
            if self.design.method != "grid" and path != "scenario" and not isinstance(values, Range):
                raise ValueError(f"factors.{path}: a {self.design.method} design samples ranges; give {{low: ..., high: ...}}")
        if self.design.method in ("sobol", "morris") and len(self.sampled) < 2:
            raise ValueError(f"factors: a {self.design.method} design needs at least two ranged factors")
        if self.uncertainty == "parameters" and (self.replications < 4 or self.replications % 2):
            raise ValueError(f"replications: {self.replications} with uncertainty: parameters; give an even number, at least 4 (two seeds per posterior draw)")
        if self.uncertainty == "seeds" and self.posterior is not None:
            raise ValueError("posterior: is read only with uncertainty: parameters")
        return self

    @property
    def kept_outcomes(self) -> list[str]:
        """The outcomes every run keeps: those asked for, and those its tables need."""
        needed = list(LIST_SIZE_OUTCOMES) if "list_size" in self.tables else []
        return list(dict.fromkeys(self.outcomes + needed))

    @property
    def sampled(self) -> list[str]:
        """Factors other than 'scenario', in file order."""
        return [path for path in self.factors if path != "scenario"]

    def problem(self) -> dict[str, Any]:
        """The SALib problem of the sampled factors."""
        return {"num_vars": len(self.sampled), "names": self.sampled, "bounds": [[self.factors[p].low, self.factors[p].high] for p in self.sampled]}


@dataclass(frozen=True)
class Variant:
    """One point of the design: a scenario and a value for every factor."""

    index: int
    label: str
    scenario_path: Path
    values: dict[str, Any]  # factor path -> value (and 'scenario' -> its name)


@dataclass(frozen=True)
class Plan:
    experiment: Experiment
    source: Path
    variants: list[Variant]
    seeds: list[int]
    scenarios: dict[int, Scenario | NationalScenario]  # variant index -> its validated scenario (seed of replication 0)
    draws: list[dict[str, float]]  # with uncertainty: parameters, each replication's posterior draw (else empty)

    @property
    def runs(self) -> int:
        return len(self.variants) * len(self.seeds)

    def points(self) -> np.ndarray:
        """The design's sample of the ranged factors, one row per point (before crossing with scenarios)."""
        return design_points(self.experiment)


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Seeds spawned from the experiment's seed, one per replication, the same in every variant."""
    return [int(s.generate_state(1, np.uint32)[0]) for s in np.random.SeedSequence(seed).spawn(replications)]


def design_points(experiment: Experiment) -> np.ndarray:
    """Rows of values for the sampled factors, in SALib's order (Sobol and Morris need it kept)."""
    from SALib import ProblemSpec

    d = experiment.design
    if d.method == "grid":
        axes = [_grid_values(experiment.factors[p]) for p in experiment.sampled]
        points = list(itertools.product(*axes))  # one empty point when only scenarios vary
        grid = np.empty((len(points), len(axes)), dtype=object)
        for i, point in enumerate(points):
            grid[i, :] = point
        return grid
    spec = ProblemSpec(experiment.problem())
    if d.method == "latin_hypercube":
        spec.sample_latin(d.n, seed=d.seed)
    elif d.method == "sobol":
        spec.sample_sobol(d.n, calc_second_order=False, seed=d.seed)
    else:
        spec.sample_morris(d.n, num_levels=d.levels, seed=d.seed)
    return spec.samples


def _grid_values(values: list[Any] | Range) -> list[Any]:
    if isinstance(values, Range):
        return [float(v) for v in np.linspace(values.low, values.high, values.steps)]
    return list(values)


def _field_is_int(path: str) -> bool:
    model: type[BaseModel] = Scenario
    *sections, leaf = path.split(".")
    for name in sections:
        field = model.model_fields.get(name)
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            return False
        model = field.annotation
    field = model.model_fields.get(leaf)
    return field is not None and field.annotation is int


def _label(scenario_name: str | None, values: dict[str, Any], sampled: bool, index: int) -> str:
    parts = [scenario_name] if scenario_name else []
    if "named_variant" in values:
        parts.append(values["named_variant"])
    if sampled:
        parts.append(f"point {index}")
    else:
        parts += [f"{path.split('.')[-1]}={_short(v)}" for path, v in values.items() if path not in ("scenario", "named_variant")]
    return ", ".join(parts) or "base"


def _short(value: Any) -> str:
    if value is None:
        return "none"  # an empty field: the feature is off (no stop-loss, no limit)
    return f"{value:g}" if isinstance(value, float) else str(value)


def load_experiment(path: str | Path) -> Plan:
    """Read, validate and expand an experiment file into its variants, validating every variant's scenario."""
    source = _resolve_experiment(path)
    try:
        experiment = Experiment.model_validate(read_yaml(source))
    except ValidationError as exc:
        raise UserError(describe_validation(str(source), exc, model=Experiment)) from None
    scenario_values = experiment.factors.get("scenario", [experiment.base])
    scenario_paths = [resolve_scenario_path(str(name), relative_to=source) for name in scenario_values]
    national = {is_national(path) for path in scenario_paths}
    if len(national) > 1:
        raise UserError(f"{source}: scenario: the scenarios mix national runs and single regions; compare like with like.")
    national = national.pop()
    if not national and ("region" in experiment.by_group or set(experiment.outcomes) & set(NATIONAL_OUTCOMES)):
        what = "by_group: region" if "region" in experiment.by_group else f"outcome {next(o for o in experiment.outcomes if o in NATIONAL_OUTCOMES)}"
        raise UserError(f"{source}: {what} needs a national base (a scenario with regions, e.g. sweden-2024); {scenario_paths[0].name} is one region.")
    points = design_points(experiment)
    sampled = experiment.design.method != "grid"
    variants, scenarios = [], {}
    seeds = replication_seeds(experiment.seed, experiment.replications)
    named = experiment.variants or {"": {}}
    for scenario_path in scenario_paths:
        for variant_name, variant_values in named.items():
            for p_index, point in enumerate(points):
                index = len(variants)
                values = {}
                for path, value in zip(experiment.sampled, point):
                    value = value.item() if isinstance(value, np.generic) else value
                    values[path] = round(value) if _field_is_int(path) and isinstance(value, float) else value
                overrides = {**experiment.fixed, **variant_values, **values, "seed": seeds[0]}
                labels = {p: f"{source}: fixed field '{p}'" for p in experiment.fixed}
                labels |= {p: f"{source}: variant '{variant_name}', field '{p}'" for p in variant_values}
                labels |= {p: f"{source}: factor '{p}' = {_short(v)}" for p, v in values.items()}
                if national:
                    scenarios[index] = read_national(scenario_path, overrides, labels)
                    region_scenarios(scenarios[index], scenario_path, labels)  # every region's scenario is valid
                else:
                    scenarios[index] = load_scenario(scenario_path, overrides, labels)
                if variant_name:
                    values = {"named_variant": variant_name, **values}
                if "scenario" in experiment.factors:
                    values = {"scenario": scenario_path.stem, **values}
                name = scenario_path.stem if "scenario" in experiment.factors else None
                variants.append(Variant(index, _label(name, values, sampled, p_index), scenario_path, values))
    labels = [v.label for v in variants]
    if len(set(labels)) != len(labels):
        raise UserError(f"{source}: two variants would share a label ({_first_duplicate(labels)}); make the factors' values distinct.")
    draws = replication_draws(experiment, source, scenario_paths[0]) if experiment.uncertainty == "parameters" else []
    return Plan(experiment, source, variants, seeds, scenarios, draws)


def replication_draws(experiment: Experiment, source: Path, scenario_path: Path) -> list[dict[str, float]]:
    """Each replication's posterior draw (replications 2j and 2j+1 share draw j), read from the ensemble and checked:
    its parameters must be today's free parameters and fields of the scenario, with a draw for every pair of replications."""
    import pandas as pd

    from sim.validation.posterior import ADOPTED, PRIORS

    path = (source.parent / experiment.posterior).resolve() if experiment.posterior else ADOPTED
    field = f"{source}: posterior" if experiment.posterior else f"{source}: uncertainty: parameters"
    if not path.is_file():
        raise UserError(f"{field}: {path} does not exist; sample one with 'vardval calibrate --adopt' or name an ensemble.parquet.")
    try:
        ensemble = pd.read_parquet(path)
    except Exception:
        raise UserError(f"{field}: {path} is not an ensemble (a parquet file of 'vardval calibrate').") from None
    expected = [p.path for p in PRIORS]
    if sorted(ensemble.columns) != sorted(expected):
        missing, extra = [p for p in expected if p not in ensemble.columns], [c for c in ensemble.columns if c not in expected]
        differs = "; ".join(part for part in (f"it lacks {', '.join(missing)}" if missing else "", f"it has {', '.join(extra)}, which this version does not" if extra else "") if part)
        raise UserError(f"{field}: {path} holds another model version's free parameters ({differs}); sample a new posterior with 'vardval calibrate'.")
    needed = experiment.replications // 2
    if len(ensemble) < needed:
        raise UserError(f"{field}: {path} has {len(ensemble)} draws, fewer than the {needed} that {experiment.replications} replications need (two per draw); lower replications or sample a larger ensemble.")
    draws = [{p: float(ensemble.iloc[r // 2][p]) for p in expected} for r in range(experiment.replications)]
    draw_labels = {p: f"{path}: parameter '{p}'" for p in expected}
    if is_national(scenario_path):  # a national run sets the draw in every region
        region_scenarios(read_national(scenario_path, {**draws[0], **experiment.fixed}, draw_labels), scenario_path, draw_labels)
    else:
        load_scenario(scenario_path, {**draws[0], **experiment.fixed}, draw_labels)  # the draws are valid fields and values
    return draws


def _first_duplicate(items: list[str]) -> str:
    seen = set()
    for item in items:
        if item in seen:
            return item
        seen.add(item)
    return ""


def _resolve_experiment(path: str | Path) -> Path:
    candidate = Path(path)
    if candidate.is_file():
        return candidate.resolve()
    builtin = builtin_dir("experiments") / (candidate.name if candidate.suffix in (".yaml", ".yml") else f"{candidate.name}.yaml")
    if builtin.is_file():
        return builtin
    raise UserError(f"Experiment '{path}' not found: give a path to a YAML file or a built-in name.")

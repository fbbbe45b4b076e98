"""The literature's findings (docs/domain/evidence.md E1-E27, docs/field-evidence.md F1-F3) as tests of the model.

Each target names its claim, what the literature found, how the model is tested and on
which setting (sim.validation.settings), and a check that turns the model's runs into a
figure and a verdict:

- ``direction``: the sign or ordering the literature found; the check fails if it breaks;
- ``figure``: the literature's figure within the stated tolerance;
- ``input``: a figure the model takes as a rule or parameter rather than produces; shown,
  with what the model does with it, but not a test;
- ``not expressed``: the model has no mechanism for it; the reason says why.

A target the model is known to miss carries ``known_gap``, the reason: its failure is
shown as ``fail (known gap)`` and does not fail the run, so that a new failure stands out;
if it starts to pass, the verdict says so. Where the gap covers only some of a target's
figures, the check says whether the rest hold (``Finding.beside_gap``); if they break, the
target fails the run. A target that fails for a reason that is
understood but not excused carries ``on_failure``: shown with the failure, which still
fails the run.

Directions are tested at every size (``vardval validate --quick`` fails if one breaks);
figures need the full-size runs, so ``--quick`` reports them without a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from sim.risk import LIST_SIZES
from sim.validation.settings import LARGER_UK_POOL_SEK, SWEDISH_POOL_SEK, UK_PATIENT_LIMIT_SEK, SettingRuns

DIRECTION, FIGURE, INPUT, NOT_EXPRESSED = "direction", "figure", "input", "not expressed"


@dataclass
class Finding:
    """The model's answer: its figure as text, and the verdict (None: not a test at this size)."""

    model: str
    passed: bool | None
    beside_gap: bool = True  # the figures a target's known gap does not cover hold


@dataclass
class Evidence:
    """What the checks read: the standard-patients tables and the settings' runs."""

    patients: pd.DataFrame  # standard_patients()
    choice: pd.DataFrame  # payment_choice()
    fees: pd.DataFrame  # efficient_fees()
    runs: SettingRuns

    @property
    def full(self) -> bool:
        return self.runs.size == "full"


@dataclass(frozen=True)
class Target:
    id: str
    claim: str
    literature: str
    test: str  # DIRECTION, FIGURE, INPUT or NOT_EXPRESSED
    setting: str  # what the model runs, in words
    tolerance: str = ""
    settings: tuple[str, ...] = ()  # sim.validation.settings.SETTINGS it needs
    check: Callable[[Evidence], Finding] | None = None
    known_gap: str = ""  # why the model is known to disagree: its failure is reported but does not fail the run
    on_failure: str = ""  # what a failure is known to come from: shown when it fails, and it still fails the run


def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:+.{digits}f} %" if x == x else "n/a"


def _within(value: float, low: float, high: float, evidence: Evidence) -> bool | None:
    """A figure's verdict: only at full size."""
    return bool(low <= value <= high) if evidence.full else None


def _by_payment(evidence: Evidence) -> pd.DataFrame:
    return evidence.patients.groupby("payment").mean(numeric_only=True)


# ------------------------------------------------------------------ physician behaviour (standard patients)


def _e1(ev: Evidence) -> Finding:
    q = ev.patients.pivot(index="q_star", columns="payment", values="mean_q")
    ok = bool((q["fee-for-service"] > q["capitation"]).all())
    pairs = ", ".join(f"{s}: {f:.2f} vs {c:.2f}" for s, f, c in zip(q.index, q["fee-for-service"], q["capitation"]))
    return Finding(f"mean q, FFS vs CAP, by q*: {pairs}", ok)


def _e2(ev: Evidence) -> Finding:
    m = _by_payment(ev)
    ffs, cap, q_star = m.loc["fee-for-service", "mean_q"], m.loc["capitation", "mean_q"], m.loc["capitation", "q_star"]
    corner = ev.patients.groupby("payment")["mean_q"]
    ok = bool(ffs > q_star > cap and corner.max()["fee-for-service"] < 10 and corner.min()["capitation"] > 0)
    return Finding(f"mean q: FFS {ffs:.2f} > q* {q_star:.2f} > CAP {cap:.2f}; no type at the corners 10 or 0", ok)


def _e3(ev: Evidence) -> Finding:
    d = _by_payment(ev)["mean_abs_dev"]
    ok = bool(d["mixed"] < d["fee-for-service"] and d["mixed"] < d["capitation"])
    return Finding(f"mean |q - q*|: MIX {d['mixed']:.3f}, FFS {d['fee-for-service']:.3f}, CAP {d['capitation']:.3f}", ok)


def _e4(ev: Evidence) -> Finding:
    a = ev.choice["a"]
    shares = ", ".join(f"a = {v:g}: {100 * (a == v).mean():.0f} %" for v in sorted(a.unique(), reverse=True))
    return Finding(f"drawn weights {shares}; median a {a.median():g}", None)


def _e5(ev: Evidence) -> Finding:
    prefers = ev.choice["prefers"]
    share = (prefers == "fee-for-service").mean()
    a = ev.choice.groupby("prefers")["a"].mean()
    cap_a, ffs_a = a.get("capitation", np.nan), a.get("fee-for-service", np.nan)
    ok = bool(share > 0.5 and cap_a > ffs_a)
    cap_text, ffs_text = (f"{v:.2f}" if v == v else "none choose it" for v in (cap_a, ffs_a))
    return Finding(f"{100 * share:.0f} % prefer FFS; mean a of CAP choosers {cap_text}, of FFS choosers {ffs_text}", ok)


def _e6(ev: Evidence) -> Finding:
    f = ev.fees
    inside = ((f["analytic_fee_sek"] >= f["fee_low_sek"]) & (f["analytic_fee_sek"] <= f["fee_high_sek"])).all()
    distinct = (f["fee_low_sek"].iloc[1:].to_numpy() > f["fee_high_sek"].iloc[:-1].to_numpy()).all() or (
        f["fee_high_sek"].iloc[1:].to_numpy() < f["fee_low_sek"].iloc[:-1].to_numpy()
    ).all()
    text = "; ".join(f"a = {r.a:g}: {r.fee_low_sek:,.0f} to {r.fee_high_sek:,.0f} SEK ((1 - a) c = {r.analytic_fee_sek:,.0f})" for r in f.itertuples())
    return Finding(f"fees giving the efficient q: {text}", bool(inside and distinct))


def _e10(ev: Evidence) -> Finding:
    b = ev.patients.pivot(index="q_star", columns="payment", values="mean_benefit")
    gap = b["fee-for-service"] - b["capitation"]
    ok = bool(gap.iloc[-1] > 0 > gap.iloc[0] and gap.is_monotonic_increasing)
    return Finding(f"benefit FFS minus CAP, SEK, by q* {', '.join(f'{s}: {g:+,.0f}' for s, g in gap.items())}", ok)


def _e11(ev: Evidence) -> Finding:
    m = _by_payment(ev)
    ok = bool(m.loc["mixed", "mean_shortfall"] < m.loc["capitation", "mean_shortfall"] and m.loc["mixed", "mean_excess"] < m.loc["fee-for-service", "mean_excess"])
    return Finding(
        f"shortfall MIX {m.loc['mixed', 'mean_shortfall']:.3f} < CAP {m.loc['capitation', 'mean_shortfall']:.3f}; "
        f"excess MIX {m.loc['mixed', 'mean_excess']:.3f} < FFS {m.loc['fee-for-service', 'mean_excess']:.3f}",
        ok,
    )


# ------------------------------------------------------------------ observed payment changes (field)


def _e7(ev: Evidence) -> Finding:
    change = ev.runs.paired_change("fee-for-service", "mixed", "visits_per_capita")
    return Finding(f"visits {_pct(change)} (time with patients moves with visits: a visit has a fixed length)", _within(change, -0.1115, -0.0115, ev) if change < 0 else False)


def _e8(ev: Evidence) -> Finding:
    change = ev.runs.paired_change("fee-for-service", "capitation", "visits_per_capita")
    return Finding(f"visits {_pct(change)}", _within(change, -0.31, -0.15, ev) if change < 0 else False)


# ------------------------------------------------------------------ fundholding


def _smallest_safe(ev: Evidence, setting: str, threshold: float = 0.01) -> float:
    """The smallest list size whose probability of a yearly deficit over 5 % of the budget is below ``threshold``."""
    for size in LIST_SIZES:
        if ev.runs.mean(setting, f"p_deficit_over_5pct[list_size={size}]") < threshold:
            return size
    return np.inf


def _e12(ev: Evidence) -> Finding:
    size = _smallest_safe(ev, "fundholding-full")
    cv = ev.runs.mean("fundholding-full", "result_cv[list_size=10000]")
    text = f"smallest list with a deficit over 5 % of budget in under 1 % of years: {size:,.0f} (spread at 10,000: {100 * cv:.1f} % of budget)"
    return Finding(text, _within(size, 100_000 / 3, 300_000, ev))


def _e13(ev: Evidence) -> Finding:
    uk, full = _smallest_safe(ev, "fundholding-uk"), _smallest_safe(ev, "fundholding-full")
    direction = bool(np.isfinite(uk) and uk <= full)  # the UK rule's planned scope and limit make a smaller list safe
    figure = _within(uk, 3_000, 20_000, ev)
    p = ev.runs.mean("fundholding-uk", "p_deficit_over_5pct[list_size=10000]")
    text = (
        f"smallest safe list, planned care with a {UK_PATIENT_LIMIT_SEK:,} SEK per-patient limit: {uk:,.0f} "
        f"(deficit over 5 % at 10,000: {100 * p:.2f} % of years); all care, no limit: {full:,.0f}"
    )
    return Finding(text, figure if direction else False, beside_gap=direction)


def _e14(ev: Evidence) -> Finding:
    hospital = ev.runs.mean("fundholding-uk", "cost_hospital_per_capita_sek")
    return Finding(
        f"the UK rule's scope is step 6's: planned care (route elective), not emergencies, injuries, deliveries or rare diseases; hospital spending {hospital:,.0f} SEK per resident",
        None,
    )


#: the UK rule's years (fundholding-uk-1991.yaml): reported year 1 is the preparatory year, fundholding pays from year 2
PREPARATORY, SECOND_YEAR, THIRD_YEAR = 1, 3, 4


def _e15(ev: Evidence) -> Finding:
    """Activity before entry: the preparatory year against today's rule on the same seeds, with historic budgets and
    with the region's formula."""
    historic, formula = (
        {o: ev.runs.yearly_ratio(s, "capitation-4y", o, PREPARATORY) for o in ("referrals", "elective_admissions")} for s in ("fundholding-uk", "fundholding-uk-formula")
    )
    ok = historic["referrals"] > 0.01 and historic["elective_admissions"] > 0 and abs(formula["referrals"]) < 0.01
    return Finding(
        f"preparatory year against today's rule: historic budgets referrals {_pct(historic['referrals'])}, elective admissions {_pct(historic['elective_admissions'])}; "
        f"budgets from the region's formula: referrals {_pct(formula['referrals'])}, elective admissions {_pct(formula['elective_admissions'])}",
        ok,
    )


def _e26(ev: Evidence) -> Finding:
    gap = ev.runs.yearly_ratio("fundholding-uk", "capitation-4y", "referrals", THIRD_YEAR, from_year=PREPARATORY)
    return Finding(f"referrals from the preparatory year to the third year of fundholding: growth {_pct(gap)} against today's rule on the same seeds", _within(gap, -0.20, -0.10, ev))


def _e27(ev: Evidence) -> Finding:
    gap = ev.runs.yearly_ratio("fundholding-uk", "capitation-4y", "surgical_referrals", SECOND_YEAR, from_year=PREPARATORY)
    return Finding(f"referrals to surgery and orthopaedics from the preparatory year to the second year of fundholding: growth {_pct(gap)} against today's rule", _within(gap, -0.244, -0.044, ev))


def _f1(ev: Evidence) -> Finding:
    change = ev.runs.yearly_ratio("fundholding-uk", "capitation-4y", "elective_admissions", THIRD_YEAR)
    return Finding(f"elective admissions in the third year of fundholding {_pct(change)} against today's rule on the same seeds", _within(change, -0.08, -0.02, ev))


def _f2(ev: Evidence) -> Finding:
    change = ev.runs.yearly_ratio("fundholding-uk", "capitation-4y", "emergency_admissions", THIRD_YEAR)
    return Finding(f"emergency admissions in the third year of fundholding {_pct(change)} against today's rule", _within(change, -0.02, 0.02, ev))


def _f3(ev: Evidence) -> Finding:
    rise = ev.runs.yearly_ratio("fundholding-uk", "capitation-4y", "elective_admissions", PREPARATORY)
    return Finding(f"elective admissions in the preparatory year (historic budgets) {_pct(rise)} against today's rule", _within(rise, 0.05, 0.15, ev))


# ------------------------------------------------------------------ pay for performance


def _clinics(ev: Evidence, setting: str) -> pd.DataFrame:
    """A setting's clinic-years, the digital provider left out."""
    years = ev.runs.clinic_years(setting)
    return years[years["owner"] != "digital"]


def _performance_share(ev: Evidence, setting: str) -> float:
    """Pay-for-performance's share of clinics' income, the drug budget left out: it passes through to drugs, and the
    UK's 25 % is of GP pay from practices that held no drug budget (evidence.md E17)."""
    years = _clinics(ev, setting)
    return float(years["income_performance_sek"].sum() / (years["revenue_sek"] - years["income_drug_budget_sek"]).sum())


def _e16(ev: Evidence) -> Finding:
    years = _clinics(ev, "p4p-sweden")
    capitation = years["income_capitation_sek"].sum() / (years["listed"] * years["months"] / 12).sum()  # SEK per listed resident-year
    share = _performance_share(ev, "p4p-sweden")
    return Finding(
        f"pool of {SWEDISH_POOL_SEK:,} SEK per listed resident, {100 * SWEDISH_POOL_SEK / capitation:.1f} % of the capitation clinics earn "
        f"({capitation:,.0f} SEK per listed resident-year); what clinics earn from it at their achievement: {100 * share:.1f} % of their income "
        "(the drug budget left out)",
        None,
    )


def _exception_effect(years: pd.DataFrame) -> float:
    """Points of reported achievement per point of exceptions across clinic-years, conditional on the practice's
    size, list per GP and setting, as Doran et al. (2006) regressed achievement on exceptions with practice and
    population characteristics (the model has no GP age or training; the area type stands in for deprivation)."""
    area = pd.get_dummies(years["area_type"], drop_first=True, dtype=float)
    x = np.column_stack([np.ones(len(years)), years["followup_excepted_share"], np.log(years["listed"]), years["listed"] / years["gp_fte"] / 1000, area])
    if len(years) <= x.shape[1]:
        return np.nan
    return float(np.linalg.lstsq(x, years["followup_reported"].to_numpy(), rcond=None)[0][1])


def _e17(ev: Evidence) -> Finding:
    years = _clinics(ev, "p4p-uk")
    share = _performance_share(ev, "p4p-uk")
    achieved = years["followup_reported"].median()
    excepted = years["followup_excepted_share"].median()
    effect, larger = _exception_effect(years), _exception_effect(_clinics(ev, "p4p-uk-larger-pool"))
    swedish = _clinics(ev, "p4p-sweden")["followup_true"].median()
    expressed = [_within(share, 0.20, 0.30, ev), _within(excepted, 0.03, 0.08, ev)]  # the rest need the QOF's indicator mix (the known gap)
    ok = [*expressed, _within(achieved, 0.784, 0.884, ev), _within(effect, 0.1, 0.5, ev)]
    text = (
        f"P4P {100 * share:.0f} % of income (the drug budget left out); median reported achievement {100 * achieved:.1f} %; median excepted {100 * excepted:.1f} %; "
        f"+1 point of exceptions: {effect:+.2f} points of reported achievement across clinic-years, given size, list per GP and setting "
        f"({larger:+.2f} with a pool of {LARGER_UK_POOL_SEK:,} SEK); "
        f"median achievement with a Swedish-size pool {100 * swedish:.1f} % (no exceptions there: reported is true)"
    )
    return Finding(text, None if None in ok else all(ok), beside_gap=all(expressed))


def _e18(ev: Evidence) -> Finding:
    uk, honest, small = (_clinics(ev, name) for name in ("p4p-uk", "p4p-uk-no-gaming", "p4p-sweden-exceptions"))
    inflation = (uk["followup_reported"] - uk["followup_true"]).mean()
    excepted, excepted_honest = uk["followup_excepted_share"].mean(), honest["followup_excepted_share"].mean()
    ok = bool(inflation > 0 and excepted > excepted_honest and excepted > small["followup_excepted_share"].mean())
    return Finding(
        f"reported minus true achievement {100 * inflation:+.1f} points; mean share excepted {100 * excepted:.1f} % with a UK-size pool, "
        f"{100 * excepted_honest:.1f} % with gaming ruled out (same seeds; the legitimate exceptions alone), "
        f"{100 * small['followup_excepted_share'].mean():.1f} % with a Swedish-size pool (where gaming does not pay); "
        f"gaming moves true achievement {100 * (uk['followup_true'].mean() - honest['followup_true'].mean()):+.1f} points (effort saved)",
        ok,
    )


# ------------------------------------------------------------------ market and patients


def _e19(ev: Evidence) -> Finding:
    towns = sum(ev.runs.mean(s, "entries_town") for s in ("capitation", "urban"))
    sparse = sum(ev.runs.mean(s, "entries_sparse") for s in ("capitation", "urban"))
    rural = sum(ev.runs.mean(s, "entries_rural") for s in ("capitation", "urban"))
    total = towns + sparse + rural
    if total == 0 and not ev.full:  # the quick run's one year of a small region may see no entry: decided at full size
        ok = None
    else:
        ok = bool(total > 0 and sparse / total <= 0.1 and towns / total >= 0.5)
    return Finding(f"entries per run, both regions: {towns:.1f} in towns, {rural:.1f} rural, {sparse:.1f} sparse", ok)


def _e20(ev: Evidence) -> Finding:
    urban, default = ev.runs.mean("urban", "private_listing_income_gap"), ev.runs.mean("capitation", "private_listing_income_gap")
    return Finding(f"top minus bottom income quintile listed privately: urban region {100 * urban:+.1f} points; Jämtland {100 * default:+.1f}", bool(urban > 0))


def _entry_map(ev: Evidence, setting: str) -> tuple[float, float, float, int]:
    """Mean over seeds of the slope of entrants' margin on area CNI index and of the resident-weighted mean margin
    when the reported period starts; the mean CNI index of the areas where clinics then opened, and how many did."""
    slopes, means, entered = [], [], []
    for r in ev.runs.runs[setting]:
        p = r["prospects"]
        slopes.append(np.polyfit(p["cni_index"], p["margin"], 1, w=np.sqrt(p["residents"]))[0])  # w multiplies the residual: sqrt for resident weights
        means.append(np.average(p["margin"], weights=p["residents"]))
        entered.extend(p["entry_cni_index"])
    return float(np.mean(slopes)), float(np.mean(means)), float(np.mean(entered)) if entered else np.nan, len(entered)


def _e21(ev: Evidence) -> Finding:
    """CNI weighting moves capitation, budget-neutrally, toward residents of high-need areas: an entrant's margin
    should rise there and fall elsewhere (the margin's slope on area CNI rises) with no rise in the average
    margin that total entry follows, and the clinics that open should go to higher-CNI areas."""
    age_slope, age_mean, age_entered, age_n = _entry_map(ev, "urban-age-only")
    cni_slope, cni_mean, cni_entered, cni_n = _entry_map(ev, "urban-cni-50")
    runs = len(ev.runs.seeds)
    map_moves = cni_slope > age_slope and cni_mean - age_mean <= 0.01
    entry_moves = not cni_entered <= age_entered and cni_n / runs <= max(1.5 * age_n / runs, age_n / runs + 2)  # NaN (no entries): the map decides
    ok = map_moves and entry_moves
    return Finding(
        f"entrants' margin per unit of area CNI index: age-only {100 * age_slope:+.1f} points, 50 % CNI {100 * cni_slope:+.1f}; "
        f"mean margin {100 * age_mean:+.1f} % vs {100 * cni_mean:+.1f} %; clinics opened: {age_n / runs:.1f} vs {cni_n / runs:.1f} a run, "
        f"in areas of CNI index {age_entered:.2f} vs {cni_entered:.2f}",
        bool(ok),
    )


def _figure(outcome: str, low: float, high: float, scale: float = 100, unit: str = " %", setting: str = "capitation") -> Callable[[Evidence], Finding]:
    def check(ev: Evidence) -> Finding:
        value = ev.runs.mean(setting, outcome)
        return Finding(f"{scale * value:.1f}{unit}", _within(value, low, high, ev))

    return check


TARGETS = (
    Target("E1", "more services under FFS than capitation, for the same patient", "q_FFS > q_CAP for every patient type", DIRECTION, "standard patients", check=_e1),
    Target("E2", "FFS over-provides, capitation under-provides, short of the corners", "q_FFS > q* > q_CAP on average, well short of 10 and 0", DIRECTION, "standard patients", check=_e2),
    Target("E3", "mixed payment deviates least from q*", "mean |q - q*|: MIX < FFS and < CAP", DIRECTION, "standard patients", check=_e3),
    Target("E4", "physicians differ in altruism", "44 % benefit first, 29 % equal, 26 % profit first (a in {2, 1, 0.5}); median a about 1", INPUT, "the scenario's altruism distribution", check=_e4),
    Target(
        "E5",
        "a physician who may choose prefers FFS; CAP choosers are more patient-oriented",
        "direction",
        DIRECTION,
        "standard patients: each physician compares a x benefit + profit under FFS and under CAP paying the same at need",
        check=_e5,
        known_gap="The choice turns on the lump sum against the fee, which evidence.md does not give. With a lump sum that pays what FFS pays at need, and the simulator's money (a visit's cost exceeds what the fee leaves over it), withholding a service under capitation saves a profit-minded physician more than adding one under FFS earns, so they choose capitation.",
    ),
    Target("E6", "the efficient fee is (1 - alpha) times marginal cost; no single fee is efficient", "analytic", DIRECTION, "standard patients: fee search through the treatment code", check=_e6),
    Target(
        "E7",
        "switching from FFS to a mixed payment lowers volume",
        "services -6.15 %, time with patients -2.57 %, time per service +3.81 %",
        FIGURE,
        "the default region's clinics switched from FFS to the mixed rulebook, same seeds (calibration target, with E8)",
        tolerance="services within 5 points of -6.15 %; times not expressed",
        settings=("fee-for-service", "mixed"),
        check=_e7,
    ),
    Target("E8", "physicians not paid FFS see fewer patients", "15-31 % fewer visits", FIGURE, "FFS to capitation on the default region, same seeds (calibration target, with E7: together they set the value of a needed visit)", tolerance="-31 % to -15 %", settings=("fee-for-service", "capitation"), check=_e8),
    Target("E9", "capitated visits are shorter", "-1.14 minutes per visit", NOT_EXPRESSED, "visits are units of fixed length; the model has no visit duration"),
    Target(
        "E10",
        "FFS gives high-need patients more benefit, CAP low-need ones",
        "direction",
        DIRECTION,
        "standard patients",
        check=_e10,
        known_gap="In the model a physician's deviation from q* is proportional to q* and its cost to the patient grows with q*, so one payment is better for every type; the laboratory's crossing comes from the bounds 0 and 10 binding under strong incentives, and the simulator's Swedish prices keep every type's mean q well inside them (the standard-patients table).",
    ),
    Target("E11", "mixing reduces both under- and over-treatment", "direction", DIRECTION, "standard patients", check=_e11),
    Target(
        "E12",
        "a per-capita budget is too risky for small populations",
        "about 100,000 people",
        FIGURE,
        "full fundholding (step 7) on the default region; lists drawn from its residents (sim/risk.py)",
        tolerance="within a factor of 3: 33,000-300,000, on list sizes of 1,000 to 300,000 (none safe up to 300,000 fails)",
        settings=("fundholding-full",),
        check=_e12,
    ),
    Target(
        "E13",
        "UK fundholding admitted practices from a minimum list size",
        "10,000 (7,000 in England 1993, 6,000 in Scotland 1994), elective care only",
        FIGURE,
        "the UK rule (scenarios/fundholding-uk-1991.yaml): planned-care fundholding (step 6's scope) on historic budgets, with the region paying each resident's costs above £6,000 a year "
        f"(SI 1994/640, RECALLED; {UK_PATIENT_LIMIT_SEK:,} SEK in 2020 money), against full fundholding (step 7) without a limit",
        tolerance="UK-rule list no larger than full; 3,000-20,000",
        settings=("fundholding-uk", "fundholding-full"),
        check=_e13,
        known_gap=(
            "The model's budgets are exactly each reference year's spending in scope; the UK's were more generous than the spending "
            "(non-fundholders' funding per head was 59-87 % of fundholders' for inpatient care, field-evidence.md S4, READ), and its "
            "fundholders cut elective admissions more than the model's do (F1): a UK fundholder had a cushion the model's lacks, so the "
            "smallest list whose deficit over 5 % of the budget comes in under 1 % of years is larger here than the UK's entry thresholds. "
            "The entry threshold was a policy choice, not a measured safe size; the model's answer to how small a centre can be is E12's "
            "and docs/fundholding.md's list-size table. Before calibration version 7 this target passed only because the unfitted "
            "referral response was about three times the field's (E26), which left fundholders a larger surplus."
        ),
    ),
    Target("E14", "fundholding covered elective care only, not emergencies", "scope", INPUT, "the scope of the UK rule (a rule)", settings=("fundholding-uk",), check=_e14),
    Target(
        "E15",
        "budgets set from the year before entry invite inflated activity",
        "direction",
        DIRECTION,
        "the UK rule's preparatory year (reported year 1, shadow accounts) against today's rule on the same seeds, with budgets from each practice's own spending in it (historic) and from the region's formula (out of sample: nothing was fitted to it)",
        tolerance="referrals and elective admissions rise with historic budgets; referrals move by under 1 % with the formula",
        settings=("fundholding-uk", "fundholding-uk-formula", "capitation-4y"),
        check=_e15,
    ),
    Target(
        "E26",
        "UK fundholding slowed the growth of outpatient referrals; it did not cut them",
        "referrals +7.5 % from the preparatory year to the third year, other practices +26.6 %: growth 15.1 % lower",
        FIGURE,
        "the UK rule against today's rule on the same seeds, the same years (calibration target: it sets the value of a needed referral)",
        tolerance="growth 10-20 % lower",
        settings=("fundholding-uk", "capitation-4y"),
        check=_e26,
    ),
    Target(
        "E27",
        "the same in orthopaedics",
        "orthopaedic referrals +13 % vs +32 % from the year before entry to two years after: growth 14.4 % lower",
        FIGURE,
        "the UK rule's referrals to surgery and orthopaedics against today's rule (out of sample)",
        tolerance="growth 4.4-24.4 % lower (10 points either way: one district, 10 practices)",
        settings=("fundholding-uk", "capitation-4y"),
        check=_e27,
    ),
    Target(
        "F1",
        "fundholding lowered elective admissions (docs/field-evidence.md F1)",
        "abolition raised ex-fundholders' chargeable elective admissions by 3.5-5.1 % (about 8 % for early waves): fundholding lowered them 3.4-7.4 % (Dusheiko et al. 2006; READ)",
        FIGURE,
        "the UK rule's elective admissions in its third year against today's rule (out of sample)",
        tolerance="-8 % to -2 %",
        settings=("fundholding-uk", "capitation-4y"),
        check=_f1,
        known_gap=(
            "The model's physicians give up first the referrals they believe least needed, and only a needed referral leads to an "
            "admission, so elective admissions fall by a small fraction of what referrals do (E26, the fit); in the field they fell "
            "by a quarter to a half as much. The field's admissions also moved in time, as F3's rise and fall of a similar order show: "
            "the model's hospital has no waiting list for planned care from which a fundholder could bring admissions forward or hold "
            "them back (the waiting-time findings W1-W2 of field-evidence.md are not expressed either). Fitting the value of a referral "
            "to F1 instead of E26 would make referrals fall faster than E26 found."
        ),
    ),
    Target(
        "F2",
        "fundholding did not move emergency admissions (docs/field-evidence.md F2)",
        "no effect on emergency admissions (Dusheiko et al. 2003; READ)",
        FIGURE,
        "the UK rule's emergency admissions in its third year against today's rule (out of sample)",
        tolerance="within 2 % either way",
        settings=("fundholding-uk", "capitation-4y"),
        check=_f2,
    ),
    Target(
        "F3",
        "elective admissions rose in the year before entry where budgets were historic (docs/field-evidence.md F3)",
        "about +10 % in the preparatory year, a fall of a similar order after (Croxson, Propper & Perkins 2001; READ in the authors' institute's summary)",
        FIGURE,
        "the UK rule's preparatory year against today's rule (out of sample)",
        tolerance="+5 % to +15 %",
        settings=("fundholding-uk", "capitation-4y"),
        check=_f3,
        known_gap=(
            "The direction holds (E15). Its size does not: in the model the preparatory year's extra referrals are the doubtful ones, "
            "seldom admitted, so elective admissions rise by a small fraction of the referrals' rise; the field's rise in admissions, "
            "followed by a fall of a similar order, is consistent with planned care moved in time, which the model's hospital, "
            "without a waiting list, cannot do (F1)."
        ),
    ),
    Target("E16", "Swedish goal-related payment is a small share", "about 3 % (2-5 %, RECALLED) of the vårdpeng", INPUT, f"a pool of {SWEDISH_POOL_SEK:,} SEK per listed resident (Gävleborg's 3 % of the vårdpeng) on today's rulebook", settings=("p4p-sweden",), check=_e16),
    Target(
        "E17",
        "UK P4P: large share, high achievement, some exclusion",
        "25 % of income; median achievement 83.4 %; exceptions 5-6 %; +1 point of exceptions, +0.31 point of achievement",
        FIGURE,
        "a UK-size pool (a quarter of income, mostly chronic care) with exception reporting",
        tolerance="share 20-30 % of income without the drug budget; achievement 78.4-88.4 %; exceptions 3-8 %; effect +0.1 to +0.5, given practice size, list per GP and setting",
        settings=("p4p-uk", "p4p-uk-larger-pool", "p4p-sweden"),
        check=_e17,
        known_gap=(
            "The share of income and the exceptions are tested as they stand; the median achievement and the exceptions' effect are "
            "the gap. The QOF paid many clinical indicators for 10 chronic diseases (Doran et al. 2006), each up to its own upper threshold "
            "(50-90 %, RECALLED), and on many of them practices were already above it: in E18's source, practices above their upper "
            "thresholds could have treated 11.8 % fewer patients without losing pay (Gravelle, Sutton & Ma, Tinbergen Institute seminar "
            "abstract; READ). The model has one chronic follow-up indicator, here paid up to 90 %, above what its clinics achieve with "
            "a Swedish-size pool (the last figure of the model column): every clinic that can works up to the target and stops where "
            "the money stops, so reported achievement bunches just under 90 % (Doran's interquartile range: 78.2-87.0 %). For those "
            "clinics exceptions save effort but cannot lift reported achievement; the regression's slope is set by the few "
            "clinic-years that cannot reach the target (clinics short of capacity, in sparse areas), so its sign and size turn with "
            "the pool's size (the model column gives it at a second, larger pool). A lower target would only move the point where clinics bunch, and choosing it to land on "
            "83.4 % would fit the figure, not the mechanism. Reproducing it needs the indicator mix or practice differences in patients "
            "and recording that no source here gives; fitting them to E17 would make it a calibration target."
        ),
    ),
    Target(
        "E18",
        "providers game ratio indicators through their denominators",
        "direction; in the source's working paper, the incentive raised the exceptions of practices below the upper threshold "
        "from 7.25 % to 8.55 % (Gravelle, Sutton & Ma, Tinbergen Institute seminar abstract; READ)",
        DIRECTION,
        "the UK-size pool with exception reporting, against the same with gaming ruled out (same seeds) and against a Swedish-size pool",
        tolerance="reported achievement above true; more exceptions with gaming allowed, and with the larger pool",
        settings=("p4p-uk", "p4p-uk-no-gaming", "p4p-sweden-exceptions"),
        check=_e18,
    ),
    Target("E19", "free entry fills towns, not sparse areas", "267 opened, 77 closed to 2011; one in a sparse area", DIRECTION, "today's rulebook on the default and the urban region", tolerance="at most 10 % of entries in sparse areas, at least half in towns", settings=("capitation", "urban"), check=_e19),
    Target("E20", "higher-income residents list more often with private clinics", "+4.9 points, top income quintile", DIRECTION, "the urban region, where most private listing is", settings=("urban", "capitation"), check=_e20),
    Target("E21", "CNI-weighted capitation moves entry toward high-need areas, not total entry", "direction", DIRECTION, "urban region, age-only vs 50 % CNI capitation: entrants' margin by area when the reported period starts, and where clinics open in it", tolerance="the margin's slope on area CNI rises; its resident-weighted mean rises by at most 1 point; clinics open in higher-CNI areas, and at most 1.5 times as many (or 2 more a run)", settings=("urban-age-only", "urban-cni-50"), check=_e21),
    Target("E22", "patients are inert", "baseline switching about 6 % a year", FIGURE, "today's rulebook on the default region (calibration target)", tolerance="4-8 %", settings=("capitation",), check=_figure("switching_per_year", 0.04, 0.08)),
    Target("E23", "3-day medical assessment met", "81 % (63-85 % by region)", FIGURE, "today's rulebook on the default region (calibration target)", tolerance="76-86 %", settings=("capitation",), check=_figure("access_3day_share", 0.76, 0.86)),
    Target("E24", "few residents have a named doctor", "about 30 %", FIGURE, "today's rulebook on the default region (calibration target)", tolerance="25-35 %", settings=("capitation",), check=_figure("named_doctor_share", 0.25, 0.35)),
    Target("E25", "the costliest 10 % account for most of the cost", "about 70 % (Denmark 71 %, northern Norway 67 %)", FIGURE, "today's rulebook on the default region (calibration target)", tolerance="65-75 %", settings=("capitation",), check=_figure("top10_cost_share", 0.65, 0.75)),
)


def settings_needed(targets=TARGETS) -> list[str]:
    return list(dict.fromkeys(s for t in targets for s in t.settings))


def evaluate(evidence: Evidence, targets=TARGETS) -> pd.DataFrame:
    """The side-by-side table: one row per target with the literature, the model and the verdict."""
    rows = []
    for t in targets:
        finding = t.check(evidence) if t.check else Finding("", None)
        if t.test in (INPUT, NOT_EXPRESSED):
            result = t.test
        elif finding.passed is None:
            result = f"{t.test} (full run only)"
        elif finding.passed:
            result = "pass (known gap closed: update the target)" if t.known_gap else "pass"
        else:
            result = "fail (known gap)" if t.known_gap and finding.beside_gap else "fail"
        rows.append(
            {
                "id": t.id,
                "claim": t.claim,
                "literature": t.literature,
                "test": t.test,
                "setting": t.setting,
                "tolerance": t.tolerance,
                "model": finding.model,
                "result": result,
                "known_gap": t.known_gap,
                "on_failure": t.on_failure if result == "fail" else "",
            }
        )
    return pd.DataFrame(rows)

"""Outcomes in the analyst's words and units: one table of labels that the printed summary, the comparison's console,
the forest plots and the dashboard all read, and one way to write a value (rates in per cent, SEK with thousands
separators, never scientific notation).

An outcome kept by group is written ``outcome[grouping=group]`` (sim.sweep); its label adds the group in words, and says
which end of the Care Need Index is high need.
"""

from __future__ import annotations

import math

#: (outcome, label with its unit, kind, the outcome it is part of): kind is pct (a share, shown in per cent), sek, num
#: (a count or index) or int; a part is labelled by its whole's label and its own (and printed indented under it)
OUTCOMES = (
    ("undertreatment_rate", "Under-treatment (share of needed visits not given)", "pct", None),
    ("undertreatment_rationing_rate", "of which caused by rationing", "pct", "undertreatment_rate"),
    ("overtreatment_rate", "Over-treatment (visits beyond need, share of need)", "pct", None),
    ("underreferral_rate", "Under-referral (needed referrals not made)", "pct", None),
    ("overreferral_rate", "Over-referral (referrals not needed)", "pct", None),
    ("visits_per_capita", "Primary-care visits per resident per year", "num", None),
    ("cost_per_capita_sek", "Region spending per resident per year, SEK", "sek", None),
    ("cost_primary_per_capita_sek", "primary care", "sek", "cost_per_capita_sek"),
    ("cost_drugs_per_capita_sek", "drugs", "sek", "cost_per_capita_sek"),
    ("cost_hospital_per_capita_sek", "hospital", "sek", "cost_per_capita_sek"),
    ("cost_digital_per_capita_sek", "digital providers", "sek", "cost_per_capita_sek"),
    ("access_3day_share", "Assessed within 3 days", "pct", None),
    ("continuity_index", "Continuity of care (Bice-Boxerman)", "num", None),
    ("mean_health", "Mean health (index 0-1)", "num", None),
    ("avoidable_admissions_per_1000", "Avoidable emergency admissions per 1,000 per year", "num", None),
    ("clinic_margin_mean", "Clinic margin, mean over clinic-years", "pct", None),
    ("clinic_result_per_listed_sek", "Clinic result per listed resident per year, SEK", "sek", None),
    ("clinics_final", "Clinics open at the end", "int", None),
    ("vacancy_share", "GP posts without a permanent GP", "pct", None),
    ("months_to_fill_vacancy", "months a vacancy waits for one", "num", "vacancy_share"),
    ("hired_gp_cost_per_capita_sek", "Paid for hired GPs per resident per year, SEK", "sek", None),
    ("physio_visits_per_1000", "Physiotherapy visits per 1,000 per year", "num", None),
    ("physio_unmet_need_rate", "need not met", "pct", "physio_visits_per_1000"),
    ("physio_overprovision_rate", "visits beyond need", "pct", "physio_visits_per_1000"),
    ("physio_cost_per_capita_sek", "cost per resident per year, SEK", "sek", "physio_visits_per_1000"),
    ("share_over_30km_from_clinic", "Residents over 30 km from their clinic", "pct", None),
    ("patient_fees_per_capita_sek", "Patients' fees per resident per year, SEK", "sek", None),
    ("mean_wait_days", "Expected wait for an assessment, days", "num", None),
    ("digital_contacts_per_1000", "Digital contacts per 1,000 residents per year", "num", None),
    ("out_of_region_fees_per_capita_sek", "Out-of-region fees for digital contacts per resident per year, SEK", "sek", None),
    ("listed_across_border_share", "Residents listed with another region's clinic", "pct", None),
    ("border_payments_per_capita_sek", "Paid to other regions' clinics per resident per year, SEK", "sek", None),
)
_OWN = {name: (words, part_of) for name, words, _, part_of in OUTCOMES}
LABELS = {name: words if part_of is None else f"{_OWN[part_of][0]}: {words}" for name, (words, part_of) in _OWN.items()}
KINDS = {name: kind for name, _, kind, _ in OUTCOMES}


def printed(outcome: str) -> str:
    """The label as a run's printed summary shows it: a part indented under its whole."""
    words, part_of = _OWN[outcome]
    return words if part_of is None else f"  {words}"


#: a grouping's words, and which end is which (sim.experiment.GROUPINGS)
GROUPINGS = {"cni_quintile": "Care Need Index", "age_group": "age", "area_type": "area", "region": "region"}
GROUP_WORDS = {"Q1": "Q1 (lowest need)", "Q5": "Q5 (highest need)"}


def split(outcome: str) -> tuple[str, str | None, str | None]:
    """``outcome[grouping=group]`` as (outcome, grouping, group); (outcome, None, None) for the total."""
    if "[" not in outcome:
        return outcome, None, None
    name, inside = outcome[:-1].split("[", 1)
    grouping, group = inside.split("=", 1)
    return name, grouping, group


INCOME_SHARE = "clinic_income_share_"  # a payment's share of the clinics' revenue (sim.runner)


def kind(outcome: str) -> str:
    """How an outcome's values are written: pct for shares and rates, sek for money, else num."""
    name = split(outcome)[0]
    if name in KINDS:
        return KINDS[name]
    if name.endswith(("_rate", "_share")) or name.startswith(INCOME_SHARE):
        return "pct"
    return "sek" if name.endswith("_sek") else "num"


def label(outcome: str) -> str:
    """An outcome in words with its unit, and its group where it is kept by one (``CNI quintile Q5 (highest need)``)."""
    name, grouping, group = split(outcome)
    if name.startswith(INCOME_SHARE):
        words = f"Share of the clinics' revenue from {name.removeprefix(INCOME_SHARE).replace('_', ' ')}"
    else:
        words = LABELS.get(name) or name.replace("_", " ").replace(" sek", ", SEK").replace(" per capita", " per resident per year").capitalize()
    if grouping is None:
        return words
    return f"{words}: {GROUPINGS.get(grouping, grouping)} {GROUP_WORDS.get(group, group) if grouping == 'cni_quintile' else group}"


def number(value: float | None, kind: str, sign: bool = False, difference: bool = False) -> str:
    """A value as an analyst writes it: per cent (a difference of shares in points), SEK with thousands separators,
    others to three significant decimals; never scientific notation. ``sign`` writes + before positive values."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    plus = "+" if sign else ""
    if kind == "pct":
        return f"{100 * value:{plus},.1f}" + (" points" if difference else " %")
    if kind == "sek":
        return f"{value:{plus},.0f}"
    if kind == "int":
        return f"{value:{plus},.0f}"
    digits = 3 if abs(value) < 10 else (2 if abs(value) < 100 else 1 if abs(value) < 1000 else 0)
    return f"{value:{plus},.{digits}f}"


def interval(low: float, high: float, kind: str, brackets: str = "[]") -> str:
    """A difference's interval in its units, the unit said once: ``[+1.1, +2.3] points``, ``[+50, +52]``."""
    ends = [number(v, kind, sign=True, difference=True).removesuffix(" points") for v in (low, high)]
    text = f"{brackets[0]}{ends[0]}, {ends[1]}{brackets[1]}" if brackets else f"{ends[0]} to {ends[1]}"
    return text + (" points" if kind == "pct" else "")

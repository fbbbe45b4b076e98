"""Property-based tests of the payment rules and the physician's choice (hypothesis)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.behaviour.treatment import believed_need, benefit, choose_quantity, choose_referral, efficient_quantity
from sim.needs import CLINIC, DIGITAL, EMERGENCY
from sim.population import CNI_WEIGHTS, cni_score
from sim.payment.capitation import Capitation
from sim.payment.fines import Fines
from sim.payment.patient_fees import PatientFees
from sim.payment.performance import achievement_share
from sim.payment.sparsity import SparsitySupplement
from sim.scenario import Capitation as CapitationParams
from sim.scenario import Fines as FinesParams
from sim.scenario import Indicator, PatientFees as FeeParams, Referral, Sparsity as SparsityParams
from sim.chunks import SIZE
from sim.streams import Streams, poisson_from_uniform

q_stars = arrays(np.int16, st.integers(1, 60), elements=st.integers(1, 12))
positive = st.floats(0.05, 50.0)
margins = st.floats(-3000.0, 3000.0)


@given(q_star=q_stars, a=positive, value=st.floats(200.0, 20000.0), margin=margins)
def test_quantity_follows_the_sign_of_the_margin(q_star, a, value, margin):
    q = choose_quantity(q_star, a, value, margin, 0, 40)
    if margin < 0:
        assert (q <= q_star).all()  # capitation-like: never above need
    if margin > 0:
        assert (q >= q_star).all()  # fee-for-service-like: never below need
    if margin == 0:
        assert (q == q_star).all()
    assert (q >= 0).all() and (q <= 40).all()


@given(q_star=q_stars, a=positive, value=st.floats(200.0, 20000.0), m1=margins, m2=margins)
def test_quantity_rises_with_the_margin(q_star, a, value, m1, m2):
    low, high = sorted((m1, m2))
    assert (choose_quantity(q_star, a, value, low, 0, 40) <= choose_quantity(q_star, a, value, high, 0, 40)).all()


@given(q_star=q_stars, a1=positive, a2=positive, value=st.floats(200.0, 20000.0), margin=margins)
def test_more_altruism_never_moves_quantity_away_from_need(q_star, a1, a2, value, margin):
    less, more = sorted((a1, a2))
    far = np.abs(choose_quantity(q_star, less, value, margin, 0, 40) - q_star)
    near = np.abs(choose_quantity(q_star, more, value, margin, 0, 40) - q_star)
    assert (near <= far).all()


@given(q_star=q_stars, a=positive, value=st.floats(200.0, 20000.0), margin=margins)
def test_the_chosen_quantity_is_the_best_whole_number(q_star, a, value, margin):
    q = choose_quantity(q_star, a, value, margin, 0, 40)
    grid = np.arange(41)[:, None]
    objective = a * benefit(grid, q_star[None, :], value) + margin * grid
    best = objective.max(axis=0)
    chosen = a * benefit(q, q_star, value) + margin * q
    assert np.allclose(chosen, best, rtol=1e-9, atol=1e-6)


@given(q_star=q_stars, a=positive, bonus=st.floats(0.0, 5000.0))
def test_a_threshold_bonus_only_raises_quantity_to_the_threshold(q_star, a, bonus):
    plain = choose_quantity(q_star, a, 2500.0, -500.0, 0, 40)
    rewarded = choose_quantity(q_star, a, 2500.0, -500.0, 0, 40, bonus, q_star)
    assert (rewarded >= plain).all()
    assert ((rewarded == plain) | (rewarded == q_star)).all()


def population(bands, scores, conditions=None, town=None):
    n = len(bands)
    return SimpleNamespace(
        band=np.asarray(bands, np.int8),
        cni_score=np.asarray(scores, np.float32),
        conditions=np.zeros(n, np.int8) if conditions is None else np.asarray(conditions, np.int8),
        area_type=np.ones(n, np.int8) if town is None else np.where(town, 0, 1).astype(np.int8),
    )


@settings(deadline=None)
@given(
    bands=arrays(np.int8, st.integers(1, 300), elements=st.integers(0, 20)),
    share=st.floats(0.0, 1.0),
    fixed=st.floats(0.0, 10000.0),
    scale=st.floats(0.0, 2.0),
    data=st.data(),
)
def test_capitation_is_budget_neutral_whatever_the_cni_share(bands, share, fixed, scale, data):
    scores = data.draw(arrays(np.float32, len(bands), elements=st.floats(0.0, 40.0, width=32)))
    params = CapitationParams(scale=scale, fixed_sek_per_resident=fixed, cni_share=share)
    paid = Capitation(params).annual_sek(population(bands, scores))
    assert (paid >= -1e-6).all()
    assert np.isclose(paid.sum(), scale * fixed * len(bands), rtol=1e-4, atol=1e-2)


@settings(deadline=None)
@given(
    bands=arrays(np.int8, st.integers(2, 300), elements=st.integers(0, 20)),
    cni=st.floats(0.0, 0.5),
    town_cni=st.floats(0.0, 0.5),
    morbidity=st.floats(0.0, 0.5),
    data=st.data(),
)
def test_each_care_choice_system_keeps_its_capitation_budget(bands, cni, town_cni, morbidity, data):
    """With morbidity weights and a separate town system, the town and the rest each get fixed x residents."""
    n = len(bands)
    scores = data.draw(arrays(np.float32, n, elements=st.floats(0.0, 40.0, width=32)))
    conditions = data.draw(arrays(np.int8, n, elements=st.integers(0, 3)))
    town = data.draw(arrays(np.bool_, n))
    params = CapitationParams(fixed_sek_per_resident=3000, cni_share=cni, town_cni_share=town_cni, morbidity_share=morbidity)
    paid = Capitation(params).annual_sek(population(bands, scores, conditions, town))
    assert (paid >= -1e-6).all()
    for system in (town, ~town):
        assert np.isclose(paid[system].sum(), 3000 * system.sum(), rtol=1e-4, atol=1e-2)


@given(share=st.floats(0.0, 1.0), data=st.data())
def test_a_higher_cni_score_never_brings_less_capitation(share, data):
    scores = data.draw(arrays(np.float32, 50, elements=st.floats(0.0, 40.0, width=32)))
    pop = population(np.full(50, 8), scores)
    paid = Capitation(CapitationParams(cni_share=share)).annual_sek(pop)
    order = np.argsort(scores, kind="stable")
    assert (np.diff(paid[order]) >= -1e-3).all()


@given(distances=arrays(np.float32, st.integers(1, 100), elements=st.floats(0.0, 400.0, width=32)))
def test_the_sparsity_supplement_never_falls_with_distance(distances):
    rule = SparsitySupplement(SparsityParams(bands_km=[40, 100], sek_per_listed=[300, 700]))
    paid = rule.annual_sek(SimpleNamespace(hospital_km=lambda: distances))
    order = np.argsort(distances)
    assert (np.diff(paid[order]) >= 0).all()
    assert set(np.unique(paid)) <= {0.0, 300.0, 700.0}


@settings(deadline=None)
@given(
    rows=arrays(np.int64, st.integers(1, 80), elements=st.integers(0, 9)),
    data=st.data(),
    ceiling=st.floats(0.0, 3000.0),
)
def test_no_resident_pays_fees_beyond_the_ceiling(rows, data, ceiling):
    n = len(rows)
    visits = data.draw(arrays(np.int16, n, elements=st.integers(0, 12)))
    channel = data.draw(arrays(np.int8, n, elements=st.sampled_from([CLINIC, DIGITAL, EMERGENCY])))
    ages = data.draw(arrays(np.int16, 10, elements=st.integers(0, 105)))
    paid_before = data.draw(arrays(np.float32, 10, elements=st.floats(0.0, 3000.0, width=32)))
    pop = SimpleNamespace(age=ages, fees_paid=np.minimum(paid_before, np.float32(ceiling)))
    fees = PatientFees(FeeParams(ceiling_sek_per_year=ceiling), doctor_share=0.41)
    before = pop.fees_paid.copy()
    ep = SimpleNamespace(row=rows, q_delivered=visits, channel=channel)
    charged = fees.charge(SimpleNamespace(population=pop), ep)
    assert (charged >= 0).all() and (charged[channel == EMERGENCY] == 0).all()
    assert (pop.fees_paid <= np.float32(ceiling) + 1e-2).all()
    assert np.isclose(charged.sum(), (pop.fees_paid - before).sum(), rtol=1e-4, atol=1e-2)
    free = (ages < 20) | (ages >= 85)
    assert np.isclose(np.bincount(rows, weights=charged, minlength=10)[free].sum(), 0.0)


@given(
    breaches=st.lists(st.booleans(), min_size=1, max_size=40),
    per_week=st.floats(0.0, 50000.0),
    cap=st.floats(0.0, 500000.0),
    scale=st.floats(0.05, 1.0),
)
def test_fines_never_exceed_the_cap_of_an_occasion(breaches, per_week, cap, scale):
    """A sampled region (clinic_scale < 1) fines its clinics in proportion, within the proportional cap."""
    rule = Fines(FinesParams(sek_per_week=per_week, max_sek_per_occasion=cap))
    clinic = SimpleNamespace(index=0, open=True, gp_fte=1.0, min_gp_fte=1.0)
    market = SimpleNamespace(clinics=[clinic], n_providers=1, geography=SimpleNamespace(clinic_scale=scale))
    occasion = 0.0
    for breach in breaches:
        clinic.gp_fte = 0.5 if breach else 1.0
        fine = -rule.monthly(market, None).provider_sek[0]
        assert fine >= 0 and (breach or fine == 0)
        occasion = occasion + fine if breach else 0.0
        assert occasion <= cap * scale + 1e-6


@given(a=st.floats(0.0, 1.0), b=st.floats(0.0, 1.0), floor=st.floats(0.0, 0.9), gap=st.floats(0.01, 0.5))
def test_an_indicator_pays_more_for_more_achievement(a, b, floor, gap):
    indicator = Indicator(weight=1.0, floor=floor, target=min(floor + gap, 1.0))
    low, high = sorted((a, b))
    assert 0 <= achievement_share(np.array(low), indicator) <= achievement_share(np.array(high), indicator) <= 1


@given(p=st.floats(0.001, 0.999), z=st.floats(-5, 5), accuracy=st.floats(0.0, 5.0))
def test_belief_in_specialist_need_is_a_probability_that_rises_with_the_signal(p, z, accuracy):
    low = believed_need(np.array(p), np.array(False), np.array(z), accuracy)
    high = believed_need(np.array(p), np.array(True), np.array(z), accuracy)
    assert 0 <= low <= 1 and 0 <= high <= 1 and high >= low - 1e-12


def test_keyed_poisson_draws_have_the_right_mean():
    streams = Streams(3)
    ids = np.arange(200_000)
    for mean in (0.05, 0.4, 1.5):
        counts = poisson_from_uniform(np.full(len(ids), mean), streams.uniform("t", ids, 0), most=12)
        assert abs(counts.mean() - mean) < 4 * np.sqrt(mean / len(ids))
        assert abs(counts.var() - mean) < 0.05 * mean + 0.002


@given(bits=arrays(np.uint8, st.integers(1, 50)))
def test_a_cni_score_is_the_sum_of_its_factors_weights(bits):
    expected = [sum(float(w) for k, w in enumerate(CNI_WEIGHTS) if b >> k & 1) for b in bits]
    assert np.allclose(cni_score(bits), expected, rtol=1e-6, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3 * SIZE), month=st.integers(0, 500), parts=st.integers(1, 4), data=st.data())
def test_a_residents_keyed_draw_is_the_same_in_any_batch(n, month, parts, data):
    """Common random numbers: a resident's draw depends on (stream, id, month, slot) alone, not on who else is drawn
    with them, nor on where the chunks the ids are hashed in fall."""
    streams = Streams(11)
    ids = np.arange(n, dtype=np.int64) * 7919 + 5
    slot = np.arange(n) % 5
    alone = data.draw(st.integers(0, n - 1))
    together = streams.uniforms("t", ids, month, parts, slot=slot)
    by_itself = streams.uniforms("t", ids[alone : alone + 1], month, parts, slot=slot[alone : alone + 1])
    assert all(t[alone] == b[0] and 0 <= t[alone] < 1 for t, b in zip(together, by_itself))
    assert streams.uniform("t", ids, month)[alone] == streams.uniform("t", ids[alone:], month)[0]


@given(q_star=q_stars, value=st.floats(500.0, 20000.0), cost=st.floats(0.0, 3000.0))
def test_the_efficient_quantity_is_the_best_whole_number_net_of_cost_and_never_above_need(q_star, value, cost):
    q = efficient_quantity(q_star, value, cost, 0, 40)
    grid = np.arange(41)[:, None]
    net = benefit(grid, q_star[None, :], value) - cost * grid
    assert np.allclose(net[q, np.arange(len(q_star))], net.max(axis=0), rtol=1e-9, atol=1e-6)
    assert (q <= q_star).all()  # care worth its cost never exceeds the patient-optimal quantity


@given(
    p_hat=arrays(np.float64, st.integers(1, 50), elements=st.floats(0.0, 1.0)),
    a=positive,
    money=st.floats(-1e7, 1e7),
    norm=st.floats(0.5, 1.0),
)
def test_a_clear_cut_need_is_referred_whatever_the_price_and_a_price_never_adds_referrals(p_hat, a, money, norm):
    params = Referral(clear_cut_belief=norm)
    referred = choose_referral(p_hat, a, params, money)
    assert referred[p_hat >= norm].all()
    cheaper = choose_referral(p_hat, a, params, money + 1000.0)
    assert (cheaper >= referred).all()  # a referral that costs the centre less is made at least as often

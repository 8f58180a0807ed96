"""Compiled firm kernels: the per-firm work of a quarter as loops over the firm table.

Each kernel is a numba function (``cache=True``, so worker processes load the compiled code
instead of compiling it again) that runs one firm phase of ODD 3 over the slots of the firm
table in one pass, with the arithmetic of the NumPy rules of :mod:`mfgplan.economy.rules` written
out per firm in the same order. Random numbers are not drawn here: the caller draws each stream's
array exactly as the NumPy rendering does and passes it in, so the streams, common random numbers
and ``(seed, replicate)`` reproducibility are those of ODD 7.1.

The kernels give the NumPy rendering's numbers to rounding: transcendental functions here are
the C library's (``exp``, ``log1p``, ``tanh``, as Python's :mod:`math`), while NumPy evaluates
them with its own SIMD routines on CPUs that have them, which differ in the last bit for a few
per cent of arguments. ``tests/unit/economy/test_kernels.py`` checks each kernel against numbers
computed by hand and against the NumPy rendering.

Units as in :mod:`mfgplan.economy.rules`: money in yuan, flows in yuan per year, time in
quarters, rates as fractions.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = [
    "arrivals",
    "complete_projects",
    "decide_projects",
    "due_projects",
    "exits",
    "produce_and_reinvest",
    "research",
    "value_projects",
]


@njit(cache=True)
def produce_and_reinvest(
    va_base: np.ndarray,
    sector: np.ndarray,
    shock: np.ndarray,
    relative_growth: np.ndarray,
    industry_growth: float,
    idiosyncratic_sd: float,
    ramp: float,
    pending_capital: np.ndarray,
    uplift_capital: np.ndarray,
    pending_tfp: np.ndarray,
    uplift_tfp: np.ndarray,
    capital_depreciation: float,
    cnc_drift: float,
    cnc: np.ndarray,
    cnc_base: np.ndarray,
    capital_output_ratio: float,
    investment_routine: np.ndarray,
    investment_routine_extra: np.ndarray,
    new_year: bool,
    advance_baseline: bool,
) -> None:
    r"""Production and routine investment of a quarter, for every slot (ODD 7.2), in place.

    .. math::
        g_i = (g_y + g_{s(i)}) / 4, \qquad
        Y^0_i \leftarrow Y^0_i \exp(g_i + \tfrac12\sigma\epsilon_i - \tfrac12(\sigma/2)^2)

    pending uplifts move into the uplifts at ``ramp`` a quarter, the capital uplift
    depreciates at ``delta``, the CNC shares drift up by ``cnc_drift`` of their gap, and the
    routine investment ``(delta + max(g_i, -delta)) kappa Y^0_i`` (after production) is added
    to the year's ``investment_routine`` (both year-to-date sums reset when ``new_year``).
    A free slot is updated too: its values are never read and are cleared on reuse.

    The no-programme state (``va_base``, ``cnc_base``, ``investment_routine``) is advanced only
    if ``advance_baseline``: a further programme world of the replicate shares it with the
    first, which advances it (ODD 7.1; ``shock`` is then not read).
    """
    half_var = 0.5 * (0.5 * idiosyncratic_sd) ** 2
    keep = 1.0 - capital_depreciation
    for i in range(va_base.size):
        growth = (industry_growth + relative_growth[sector[i]]) / 4.0
        if advance_baseline:
            va_base[i] *= math.exp(growth + 0.5 * idiosyncratic_sd * shock[i] - half_var)
        moved = pending_capital[i] * ramp
        uplift_capital[i] += moved
        pending_capital[i] -= moved
        moved = pending_tfp[i] * ramp
        uplift_tfp[i] += moved
        pending_tfp[i] -= moved
        uplift_capital[i] *= keep
        if cnc_drift != 0.0:
            cnc[i] += cnc_drift * (1.0 - cnc[i])
            if advance_baseline:
                cnc_base[i] += cnc_drift * (1.0 - cnc_base[i])
        if new_year:
            investment_routine_extra[i] = 0.0
        if advance_baseline:
            if new_year:
                investment_routine[i] = 0.0
            rate = capital_depreciation + max(growth, -capital_depreciation)
            investment_routine[i] += rate * capital_output_ratio * va_base[i]


@njit(cache=True)
def research(
    performers: np.ndarray,
    claiming: np.ndarray,
    sector: np.ndarray,
    va_base: np.ndarray,
    uplift_capital: np.ndarray,
    uplift_tfp: np.ndarray,
    rd_intensity_ref: np.ndarray,
    rd: np.ndarray,
    rd_base: np.ndarray,
    sei: np.ndarray,
    sei_base: np.ndarray,
    hightech: np.ndarray,
    hightech_base: np.ndarray,
    uniform: np.ndarray,
    va_to_revenue: float,
    response_actual: float,
    response_base: float,
    rd_adjustment_speed: float,
    reference_rd_intensity: float,
    innovation_rate: float,
    centre_boost: np.ndarray,
    sei_eligible: np.ndarray,
    hightech_eligible: np.ndarray,
    sei_upgrade_step: float,
    hightech_upgrade_step: float,
    deduction_rate_actual: float,
    deduction_rate_base: float,
    cit_rate: float,
    tax_year: np.ndarray,
    advance_baseline: bool,
) -> None:
    r"""R&D and product innovation of the R&D performers ``performers`` (ODD 7.6), in place.

    For each world ``w`` (actual: value added with the uplifts and the scenario's deduction;
    baseline: no-programme value added and the counterfactual deduction):

    .. math::
        rd_i \leftarrow rd_i + \lambda (\nu_i R_i r_w - rd_i), \quad
        p_i = 1 - \exp(-\zeta (1 + b_{s(i)}) \,\frac{rd_i / \max(R_i, 1)}{r_{ref}})

    ``R_i = Y_i / (VA/revenue)``, ``r_w`` the tax-price response of a claimant (1 for a
    non-claimant), ``b`` the innovation-centre boost of the firm's sector (actual world only).
    An innovation (``uniform_i < p_i``, one uniform per firm for both worlds) raises the SEI
    share by ``sei_upgrade_step`` of its gap in SEI-eligible sectors and the high-tech share
    by ``hightech_upgrade_step`` of its gap in manufacturing. The tax the claimants save,
    ``cit * sd_w * rd_i / 4``, is added to ``tax_year[w]`` [yuan in the quarter].

    The baseline world (``rd_base``, ``sei_base``, ``hightech_base``, ``tax_year[1]``) is
    advanced only if ``advance_baseline`` (a further programme world shares it, ODD 7.1).
    """
    tax_actual = 0.0
    tax_base = 0.0
    for k in range(performers.size):
        i = performers[k]
        s = sector[i]
        va_actual = va_base[i] * math.exp(uplift_capital[i] + uplift_tfp[i])
        revenue_actual = va_actual / va_to_revenue
        revenue_base = va_base[i] / va_to_revenue
        claims = claiming[k]
        response = response_actual if claims else 1.0
        desired = rd_intensity_ref[i] * revenue_actual * response
        rd[i] = rd[i] + rd_adjustment_speed * (desired - rd[i])
        if advance_baseline:
            response = response_base if claims else 1.0
            desired = rd_intensity_ref[i] * revenue_base * response
            rd_base[i] = rd_base[i] + rd_adjustment_speed * (desired - rd_base[i])
        if claims:
            tax_actual += cit_rate * deduction_rate_actual * rd[i]
            if advance_baseline:
                tax_base += cit_rate * deduction_rate_base * rd_base[i]
        u = uniform[k]
        # actual world, with the innovation centres' boost
        intensity = rd[i] / max(revenue_actual, 1.0)
        p = -math.expm1(
            -innovation_rate * (1.0 + centre_boost[s]) * (intensity / reference_rd_intensity)
        )
        if u < p:
            if sei_eligible[s]:
                sei[i] += sei_upgrade_step * (1.0 - sei[i])
            if hightech_eligible[s]:
                hightech[i] += hightech_upgrade_step * (1.0 - hightech[i])
        if not advance_baseline:
            continue
        intensity = rd_base[i] / max(revenue_base, 1.0)
        p = -math.expm1(-innovation_rate * (intensity / reference_rd_intensity))
        if u < p:
            if sei_eligible[s]:
                sei_base[i] += sei_upgrade_step * (1.0 - sei_base[i])
            if hightech_eligible[s]:
                hightech_base[i] += hightech_upgrade_step * (1.0 - hightech_base[i])
    tax_year[0] += tax_actual / 4.0
    if advance_baseline:
        tax_year[1] += tax_base / 4.0


@njit(cache=True)
def arrivals(
    alive: np.ndarray,
    sector: np.ndarray,
    city: np.ndarray,
    pilot: np.ndarray,
    uniform: np.ndarray,
    n_cities: int,
    demo_count: np.ndarray,
    site_effect: np.ndarray,
    demonstration_effect: float,
    arrival_rate: float,
    max_arrival_probability: float,
    cell_firm_count: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Which live firms get a project opportunity this quarter (ODD 7.3-7.4).

    Counts the live firms of each (sector, city) cell into ``cell_firm_count`` (flattened,
    ``sector * n_cities + city``), then a live firm's project arrives in the baseline world if
    ``u_i < a`` and in the actual world if ``u_i < min(a + b_i, a_max)``, with the extra hazard
    of intelligent-equipment projects

    .. math:: b_i = \beta_d \cdot 100 \, D_c / \max(N_c - 1, 1) \;[\text{not a pilot}] + site_c

    (``D_c`` demonstration firms, ``N_c`` live firms of the cell, ``site_c`` the IM-base and
    demonstration-park effects). Returns the slots whose project arrives in the actual world,
    in slot order, and whether it arrives only there (the programme brought it).
    """
    cell_firm_count[:] = 0.0
    hw = alive.size
    for i in range(hw):
        if alive[i]:
            cell_firm_count[sector[i] * n_cities + city[i]] += 1.0
    candidates = np.empty(hw, dtype=np.intp)
    only_actual = np.empty(hw, dtype=np.bool_)
    n = 0
    for i in range(hw):
        if not alive[i]:
            continue
        cell = sector[i] * n_cities + city[i]
        demo = 0.0
        if not pilot[i]:
            peers = max(cell_firm_count[cell] - 1.0, 1.0)
            demo = demonstration_effect * 100.0 * (demo_count[cell] / peers)
        extra = demo + site_effect[cell]
        u = uniform[i]
        if u < min(arrival_rate + extra, max_arrival_probability):
            candidates[n] = i
            only_actual[n] = not (u < arrival_rate)
            n += 1
    return candidates[:n], only_actual[:n]


@njit(cache=True)
def _annuity(hurdle: float, build: float, life_years: int) -> float:
    """:func:`mfgplan.economy.rules.annuity_factor` for one project [yuan per yuan a year]."""
    v = (1.0 + hurdle) ** -0.25
    n = 4 * life_years
    if abs(1.0 - v) > 1e-12:
        return 0.25 * (v ** (build + 1) * (1.0 - v ** float(n)) / (1.0 - v))
    return 0.25 * (n * v ** (build + 1))


@njit(cache=True)
def _npv(
    va: float,
    investment: float,
    log_gain: float,
    cash_flow_per_va: float,
    tax_rate: float,
    annuity: float,
    life_years: int,
    subsidy_share: float,
) -> float:
    """:func:`mfgplan.economy.rules.project_npv` for one project [yuan]."""
    delta_y = va * math.expm1(log_gain)
    cash_flow = cash_flow_per_va * delta_y * (1.0 - tax_rate) + tax_rate * investment / life_years
    return cash_flow * annuity - investment * (1.0 - subsidy_share)


@njit(cache=True)
def _expit(x: float) -> float:
    """:func:`mfgplan.economy.rules.expit` for one number."""
    return 0.5 * (1.0 + math.tanh(0.5 * x))


@njit(cache=True)
def value_projects(
    candidates: np.ndarray,
    only_actual: np.ndarray,
    u_type: np.ndarray,
    z_size: np.ndarray,
    cumulative_type_shares: np.ndarray,
    build_quarters: np.ndarray,
    va_base: np.ndarray,
    uplift_capital: np.ndarray,
    uplift_tfp: np.ndarray,
    hurdle_rate: np.ndarray,
    capital_output_ratio: float,
    size_log_mean: float,
    size_log_sd: float,
    capital_elasticity: float,
    retrofit_tfp_effect: float,
    median_va: float,
    base_logit_scale: float,
    small_firm_responsiveness: float,
    cash_flow_per_va: float,
    tax_rate: float,
    life_years: int,
    real_options_premium: float,
    firm_id: np.ndarray,
    annuity_cache: np.ndarray,
    cache_owner: np.ndarray,
    lead_index: np.ndarray,
    lead_kind: np.ndarray,
    lead_build: np.ndarray,
    lead_values: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Each arriving project's type, size and value without the programme (ODD 7.3).

    For candidate ``k`` (firm ``i``): the type is the first of the cumulative type shares above
    ``u_type * total`` (intelligent equipment if only the programme brought the project), the
    size ``I/K = exp(mu + s z)``, ``K = kappa Y^0_i``, the log gain
    ``(alpha + phi [retrofit or intelligent]) ln(1 + I/K)``
    (:func:`~mfgplan.economy.rules.project_log_output_gain`), the logit scale
    ``tau_0 (Y^0_i / Y_med)^(-s_small)`` below the median firm's size, and

    .. math:: NPV^0 = (m\,\Delta Y (1-\tau) + \tau I / L) F(h_i, L_b, L) - I, \qquad
              P^0 = \Lambda((NPV^0 / I - c_0) / \tau_i)

    (:func:`~mfgplan.economy.rules.project_npv`, :func:`~mfgplan.economy.rules.annuity_factor`,
    :func:`~mfgplan.economy.rules.adoption_probability`).

    The annuity factor depends only on the firm's hurdle rate and the project type's build
    time, so it is kept per slot and type in ``annuity_cache`` (negative: not yet computed),
    valid while ``cache_owner`` of the slot is the firm's ``firm_id`` (a reused slot starts
    afresh); the cached number is the one :func:`_annuity` computes, so caching changes no bit.

    A further programme world of the replicate (ODD 7.1) values the projects that arrive
    without the programme exactly as the first world did (every input is no-programme state
    and shared draws): candidate ``k`` with ``lead_index[k] >= 0`` copies its type, build time
    and the no-programme values from the first world's candidate ``lead_index[k]``
    (``lead_kind``, ``lead_build``, ``lead_values``, the first world's ``kind``, ``build`` and
    ``values``); only its value added with this world's uplifts is its own. An empty
    ``lead_index`` values every candidate.

    Returns
    -------
    kind, build, values, va_actual
        By candidate: type code, quarters to build, the no-programme values ``[9, m]`` (rows:
        I/K, I [yuan], K [yuan], log gain, the hurdle [1/year], logit scale, annuity factor,
        NPV per yuan without the programme, the adoption probability) and value added with
        the uplifts [yuan/year].
    """
    m = candidates.size
    kind = np.empty(m, dtype=np.int8)
    build = np.empty(m, dtype=np.int64)
    values = np.empty((9, m))
    ratio, investment, capital, gain = values[0], values[1], values[2], values[3]
    hurdle, scale, annuity, npv0_per_yuan, p0 = (
        values[4],
        values[5],
        values[6],
        values[7],
        values[8],
    )
    va_actual = np.empty(m)
    n_types = cumulative_type_shares.size
    total = cumulative_type_shares[n_types - 1]
    for k in range(m):
        i = candidates[k]
        va_actual[k] = va_base[i] * math.exp(uplift_capital[i] + uplift_tfp[i])
        j = lead_index[k] if lead_index.size else -1
        if j >= 0:
            kind[k] = lead_kind[j]
            build[k] = lead_build[j]
            for row in range(9):
                values[row, k] = lead_values[row, j]
            continue
        if only_actual[k]:
            code = 1  # ProjectType.INTELLIGENT
        else:
            x = u_type[k] * total
            code = 0
            while code < n_types and cumulative_type_shares[code] <= x:
                code += 1
            code = min(code, 3)
        kind[k] = code
        capital[k] = capital_output_ratio * va_base[i]
        ratio[k] = math.exp(size_log_mean + size_log_sd * z_size[k])
        investment[k] = ratio[k] * capital[k]
        tfp = retrofit_tfp_effect if code <= 1 else 0.0
        x = math.log1p(ratio[k])
        gain[k] = capital_elasticity * x + tfp * x
        build[k] = build_quarters[code]
        hurdle[k] = hurdle_rate[i]
        size_rel = va_base[i] / median_va
        factor = size_rel ** (-small_firm_responsiveness) if size_rel < 1.0 else 1.0
        scale[k] = base_logit_scale * factor
        if cache_owner[i] != firm_id[i]:
            annuity_cache[i, :] = -1.0
            cache_owner[i] = firm_id[i]
        if annuity_cache[i, code] < 0.0:
            annuity_cache[i, code] = _annuity(hurdle[k], float(build[k]), life_years)
        annuity[k] = annuity_cache[i, code]
        npv = _npv(
            va_base[i], investment[k], gain[k], cash_flow_per_va, tax_rate, annuity[k],
            life_years, 0.0,
        )  # fmt: skip
        npv0_per_yuan[k] = npv / investment[k]
        p0[k] = _expit((npv0_per_yuan[k] - real_options_premium) / scale[k])
    return kind, build, values, va_actual


@njit(cache=True)
def decide_projects(
    candidates: np.ndarray,
    only_actual: np.ndarray,
    u_adopt: np.ndarray,
    sector: np.ndarray,
    city: np.ndarray,
    ownership: np.ndarray,
    liquidity: np.ndarray,
    base_cell: np.ndarray,
    n_cities: int,
    base_cost_reduction: float,
    subsidy_share: np.ndarray,
    credit: np.ndarray,
    investment: np.ndarray,
    capital: np.ndarray,
    gain: np.ndarray,
    va_actual: np.ndarray,
    scale: np.ndarray,
    annuity: np.ndarray,
    p0: np.ndarray,
    cash_flow_per_va: float,
    tax_rate: float,
    life_years: int,
    real_options_premium: float,
    borrowing_capacity_soe: float,
    borrowing_capacity_private: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""What each firm decides on its project, with and without the programme (ODD 7.3).

    With the programme the project costs ``I' = I (1 - r_base)`` in an IM-base cell, the firm
    counts on the subsidy share ``s`` (plus a tax credit, virtual experiments only) and values
    it at its value added with the uplifts:
    ``NPV^1 = (m \Delta Y (1-\tau) + \tau I'/L) F - I'(1 - s)``, ``P^1 = \Lambda((NPV^1/I -
    c_0)/\tau_i)``. Borrowing capacity is ``lambda_o exp(l_i) K``; one uniform decides in both
    worlds: ``adopt0 = I <= capacity and u < P^0`` (not for projects only the programme
    brought), ``wants1 = u < P^1`` (financing is settled afterwards).

    Returns
    -------
    cost_with_programme, capacity, feasible0, adopt0, wants1
        By candidate: ``I'`` and the capacity [yuan], and the three decisions.
    """
    m = candidates.size
    cost = np.empty(m)
    capacity = np.empty(m)
    feasible0 = np.empty(m, dtype=np.bool_)
    adopt0 = np.empty(m, dtype=np.bool_)
    wants1 = np.empty(m, dtype=np.bool_)
    for k in range(m):
        i = candidates[k]
        cut = base_cost_reduction * base_cell[sector[i] * n_cities + city[i]]
        cost[k] = investment[k] * (1.0 - cut)
        npv1 = _npv(
            va_actual[k], cost[k], gain[k], cash_flow_per_va, tax_rate, annuity[k], life_years,
            subsidy_share[k] + credit[k],
        )  # fmt: skip
        p1 = _expit((npv1 / investment[k] - real_options_premium) / scale[k])
        lam = borrowing_capacity_soe if ownership[i] == 0 else borrowing_capacity_private
        capacity[k] = lam * math.exp(liquidity[i]) * capital[k]
        feasible0[k] = investment[k] <= capacity[k]
        adopt0[k] = feasible0[k] and u_adopt[k] < p0[k] and not only_actual[k]
        wants1[k] = u_adopt[k] < p1
    return cost, capacity, feasible0, adopt0, wants1


@njit(cache=True)
def due_projects(
    n_rows: int, quarter: int, done: np.ndarray, completed: np.ndarray, abandon: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Project rows due this quarter, marked completed: the abandoned ones and the others.

    A row is due when its completion quarter ``done`` is ``quarter`` and it is not yet
    ``completed``; both returned arrays are in row order.
    """
    abandoned = np.empty(n_rows, dtype=np.intp)
    finished = np.empty(n_rows, dtype=np.intp)
    n_abandoned = 0
    n_finished = 0
    for row in range(n_rows):
        if done[row] == quarter and not completed[row]:
            completed[row] = True
            if abandon[row]:
                abandoned[n_abandoned] = row
                n_abandoned += 1
            else:
                finished[n_finished] = row
                n_finished += 1
    return abandoned[:n_abandoned], finished[:n_finished]


@njit(cache=True)
def complete_projects(
    rows: np.ndarray,
    firm: np.ndarray,
    kind: np.ndarray,
    investment_to_capital: np.ndarray,
    in_actual: np.ndarray,
    in_baseline: np.ndarray,
    pending_capital: np.ndarray,
    pending_tfp: np.ndarray,
    cnc: np.ndarray,
    cnc_base: np.ndarray,
    capital_elasticity: float,
    tfp_effect_subsidised: float,
    retrofit_cnc_weight: float,
    cnc_gain_per_project: float,
    cnc_full_size_ratio: float,
    advance_baseline: bool,
) -> None:
    r"""Completed projects ``rows`` take effect on their firms (ODD 7.3), in place.

    A project the programme added (in the actual world, not the baseline) adds its capital and
    productivity gains (``alpha ln(1 + I/K)``, ``phi (1 - d) ln(1 + I/K)`` for retrofit and
    intelligent equipment) to the firm's pending uplifts; in each world it adopted the project,
    it raises the firm's CNC share by ``c w min((I/K)/r_full, 1)`` of its gap (``w`` 1 for
    intelligent equipment, ``retrofit_cnc_weight`` for retrofit, 0 otherwise), the gaps taken
    before any of the quarter's projects (two projects of one firm both see its old share),
    the shares then clipped to ``[0, 1]``. ``cnc_base`` only if ``advance_baseline`` (a further
    programme world shares the baseline world, ODD 7.1).
    """
    m = rows.size
    step_actual = np.zeros(m)
    step_base = np.zeros(m)
    for k in range(m):
        row = rows[k]
        i = firm[row]
        x = math.log1p(investment_to_capital[row])
        code = kind[row]
        if in_actual[row] and not in_baseline[row]:
            tfp = tfp_effect_subsidised if code <= 1 else 0.0
            pending_capital[i] += capital_elasticity * x
            pending_tfp[i] += tfp * x
        weight = 1.0 if code == 1 else (retrofit_cnc_weight if code == 0 else 0.0)
        size = min(investment_to_capital[row] / cnc_full_size_ratio, 1.0)
        gain = cnc_gain_per_project * weight * size
        if gain > 0.0:
            if in_actual[row]:
                step_actual[k] = gain * (1.0 - cnc[i])
            if in_baseline[row] and advance_baseline:
                step_base[k] = gain * (1.0 - cnc_base[i])
    for k in range(m):
        i = firm[rows[k]]
        cnc[i] += step_actual[k]
        if advance_baseline:
            cnc_base[i] += step_base[k]
    for k in range(m):
        i = firm[rows[k]]
        cnc[i] = min(max(cnc[i], 0.0), 1.0)
        if advance_baseline:
            cnc_base[i] = min(max(cnc_base[i], 0.0), 1.0)


@njit(cache=True)
def exits(
    alive: np.ndarray,
    va_base: np.ndarray,
    uniform: np.ndarray,
    median_va: float,
    exit_rate: float,
    size_elasticity: float,
) -> np.ndarray:
    r"""Live firms that leave the above-scale register this year (ODD 7.7), in slot order.

    .. math:: p_i = 1 - (1 - \chi)^{(\max(Y^0_i / Y_{med}, 10^{-6}))^{\eta}}, \quad
              \text{exit if } u_i < p_i

    (:func:`~mfgplan.economy.rules.exit_hazard` over one year).
    """
    log_survival = math.log1p(-min(exit_rate, 0.999999))
    out = np.empty(alive.size, dtype=np.intp)
    n = 0
    for i in range(alive.size):
        if not alive[i]:
            continue
        scale = max(va_base[i] / median_va, 1e-6) ** size_elasticity
        if uniform[i] < -math.expm1(1.0 * scale * log_survival):
            out[n] = i
            n += 1
    return out[:n]

"""Decision rules of enterprises as pure functions of arrays.

Nothing here imports Mesa or draws random numbers: randomness comes in as pre-drawn uniforms
and the caller owns the state. Equations are those of ``model/ODD.md`` section 7 (submodels);
references are listed there.

Units: money in yuan, flows in yuan per year, time in quarters unless stated, rates as fractions.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "adoption_probability",
    "annuity_factor",
    "award_amount",
    "capital_gap_step",
    "desired_rd",
    "effective_subsidy",
    "exit_hazard",
    "expit",
    "first_of_kind_sale_probability",
    "innovation_probability",
    "logit",
    "logit_scale",
    "project_log_output_gain",
    "project_npv",
    "routine_investment",
    "tax_price",
    "user_cost_capital_gap",
]

FloatArray = NDArray[np.float64]


def expit(x: ArrayLike) -> FloatArray:
    """Logistic function ``1 / (1 + exp(-x))``, computed without overflow."""
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def logit(p: ArrayLike, eps: float = 1e-9) -> FloatArray:
    """Log-odds ``ln(p / (1 - p))`` with ``p`` clipped to ``[eps, 1 - eps]``."""
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1.0 - eps)
    return np.log(p) - np.log1p(-p)


def award_amount(rate: float, cap: float, base: ArrayLike) -> FloatArray:
    """Grant under a matching rule with a cap: ``min(rate * base, cap)`` [yuan].

    Examples
    --------
    A 200-million-yuan retrofit at 5% with a 3-million cap gets 3 million (effective 1.5%):

    >>> float(award_amount(0.05, 3e6, 2e8))
    3000000.0
    """
    return np.minimum(rate * np.asarray(base, dtype=np.float64), cap)


def annuity_factor(hurdle: ArrayLike, build_quarters: ArrayLike, life_years: int) -> FloatArray:
    r"""Present value of one yuan a year paid quarterly over a project's life [yuan per yuan/yr].

    .. math:: F = \sum_{q=L_b+1}^{L_b+4L} \tfrac14 (1+h)^{-q/4}

    with ``h`` the annual hurdle rate, ``L_b`` the quarters to build and ``L`` the life in years.
    A closed form of the geometric sum is used.
    """
    h = np.asarray(hurdle, dtype=np.float64)
    lb = np.asarray(build_quarters, dtype=np.float64)
    v = (1.0 + h) ** -0.25  # quarterly discount factor
    n = 4 * life_years
    # sum_{q=lb+1}^{lb+n} v^q = v^(lb+1) (1 - v^n) / (1 - v); limit n*v^(lb+1) when h -> 0
    with np.errstate(invalid="ignore", divide="ignore"):
        geometric = np.where(
            np.abs(1.0 - v) > 1e-12, v ** (lb + 1) * (1.0 - v**n) / (1.0 - v), n * v ** (lb + 1)
        )
    return 0.25 * geometric


def project_log_output_gain(
    investment_to_capital: ArrayLike, capital_elasticity: float, tfp_effect: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    r"""Log value-added gain of a completed project, split into capital and productivity parts.

    .. math:: \Delta \ln Y = \alpha \ln(1 + I/K) + \varphi \ln(1 + I/K)

    (Cobb-Douglas capital deepening plus the retrofit productivity effect of Liu & Mao 2019:
    +8.9% TFP for +38.4% investment gives ``phi = 0.23``).

    Returns
    -------
    capital_part, tfp_part
        Log points [-]; the capital part depreciates with the capital, the TFP part persists.
    """
    x = np.log1p(np.asarray(investment_to_capital, dtype=np.float64))
    return capital_elasticity * x, np.asarray(tfp_effect, dtype=np.float64) * x


def routine_investment(
    va_base: ArrayLike, capital_output_ratio: float, depreciation: float, growth: ArrayLike
) -> FloatArray:
    r"""A quarter's routine fixed investment in the no-programme world [yuan per quarter].

    .. math:: I^0 = (\delta + \max(g, -\delta)) \, \kappa Y^0

    the investment that keeps the capital ``K^0 = kappa Y^0`` in its ratio to value added on
    the no-programme path: replacement at ``delta`` a quarter plus growth at ``g`` a quarter
    (the baseline's real growth of industry plus the sector's, over four). Firms' other
    investment (retrofit, equipment, capacity and R&D-equipment projects) comes on top.

    Examples
    --------
    Y0 = 100 yuan a year, kappa = 2.5, delta = 0.02 and g = 0.02 a quarter: (0.04) x 250 = 10.

    >>> float(routine_investment(100.0, 2.5, 0.02, 0.02))
    10.0
    """
    return (
        _keep_rate(depreciation, growth)
        * capital_output_ratio
        * np.asarray(va_base, dtype=np.float64)
    )


def _keep_rate(depreciation: float, growth: ArrayLike) -> FloatArray:
    """Investment per unit of capital that keeps it on its path: ``delta + max(g, -delta)``."""
    return depreciation + np.maximum(np.asarray(growth, dtype=np.float64), -depreciation)


def user_cost_capital_gap(credit: ArrayLike, investment_elasticity: float) -> FloatArray:
    r"""Desired log capital over the no-programme capital after a change of user cost [-].

    .. math:: e^* = \ln\frac{K^*}{K^0} = -\varepsilon_I \ln(1 - c)

    (Hall & Jorgenson 1967: desired capital ``K* ~ u^(-eps)`` in the user cost ``u``; a credit
    ``c`` on the price of investment goods scales ``u`` by ``1 - c``).

    Examples
    --------
    A credit of 8.7% of investment with elasticity 1.5: ``-1.5 ln(0.913) = 0.1365``.

    >>> round(float(user_cost_capital_gap(0.087, 1.5)), 4)
    0.1365
    """
    return -investment_elasticity * np.log1p(-np.asarray(credit, dtype=np.float64))


def capital_gap_step(
    gap: ArrayLike,
    target: ArrayLike,
    adjustment_speed: float,
    depreciation: float,
    growth: ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    r"""One quarter of the flexible accelerator on a user-cost capital gap.

    .. math::
        e' = e + \lambda_q (e^* - e), \qquad \lambda_q = 1 - (1 - \lambda)^{1/4}

        x = (e' - e) + (\delta + g)\, e

    ``e = ln K/K^0`` the firm's capital over its no-programme capital, ``e*`` its desired value
    (:func:`user_cost_capital_gap`), ``lambda`` the annual adjustment speed (Koyck's flexible
    accelerator), ``x`` the extra investment of the quarter over the no-programme capital
    ``K^0``: closing the gap plus keeping the extra capital (its replacement and growth).

    Returns
    -------
    new_gap, extra_investment_ratio
        Log points and a fraction of ``K^0`` [-].

    Examples
    --------
    From no gap to a desired 0.1 at lambda = 0.22 a year: lambda_q = 0.0602, so e' = 0.00602
    and x = 0.00602 (nothing to keep yet).

    >>> e, x = capital_gap_step(0.0, 0.1, 0.22, 0.02, 0.02)
    >>> round(float(e), 5), round(float(x), 5)
    (0.00602, 0.00602)
    """
    e = np.asarray(gap, dtype=np.float64)
    speed = 1.0 - (1.0 - adjustment_speed) ** 0.25
    new = e + speed * (np.asarray(target, dtype=np.float64) - e)
    return new, (new - e) + _keep_rate(depreciation, growth) * e


def project_npv(
    va: ArrayLike,
    investment: ArrayLike,
    log_gain: ArrayLike,
    cash_flow_per_va: float,
    tax_rate: ArrayLike,
    hurdle: ArrayLike,
    build_quarters: ArrayLike,
    life_years: int,
    subsidy_share: ArrayLike = 0.0,
) -> FloatArray:
    r"""Net present value of an investment project to the firm [yuan].

    .. math::
        CF = m\,\Delta Y (1-\tau) + \tau I / L, \quad
        \Delta Y = Y (e^{\Delta \ln Y} - 1), \quad
        NPV = CF \cdot F(h, L_b, L) - I (1 - s)

    Parameters
    ----------
    va
        Firm value added [yuan/year].
    investment
        Project investment ``I`` [yuan].
    log_gain
        Total log VA gain of the project [-] (see :func:`project_log_output_gain`).
    cash_flow_per_va
        ``m``: cash flow per yuan of extra VA [-].
    tax_rate
        Corporate income tax rate ``tau`` [-]; depreciation is straight-line over the life.
    hurdle
        Annual required return ``h`` [1/year].
    build_quarters, life_years
        Time to build [quarters] and life [years].
    subsidy_share
        Expected subsidy as a share of investment ``s`` [-] (already discounted for timing and
        award probability; see :func:`effective_subsidy`).
    """
    va = np.asarray(va, dtype=np.float64)
    investment = np.asarray(investment, dtype=np.float64)
    tau = np.asarray(tax_rate, dtype=np.float64)
    delta_y = va * np.expm1(np.asarray(log_gain, dtype=np.float64))
    cash_flow = cash_flow_per_va * delta_y * (1.0 - tau) + tau * investment / life_years
    pv = cash_flow * annuity_factor(hurdle, build_quarters, life_years)
    return pv - investment * (1.0 - np.asarray(subsidy_share, dtype=np.float64))


def logit_scale(investment_elasticity: float, mean_adoption: float = 0.5) -> float:
    """Scale ``tau_I`` of the adoption logit implied by an investment elasticity [-].

    For ``P = expit((NPV/I - c)/tau)`` the elasticity of adoption to the user cost is about
    ``(1 - P) / tau``; with ``P = 0.5`` and elasticity 1.5, ``tau = 0.33``.
    """
    return (1.0 - mean_adoption) / investment_elasticity


def adoption_probability(npv_per_yuan: ArrayLike, premium: float, scale: ArrayLike) -> FloatArray:
    r"""Probability a firm goes ahead with a project.

    .. math:: P = \Lambda\left(\frac{NPV/I - c_0}{\tau_i}\right)

    ``c_0`` is the real-options premium [NPV per yuan]; ``tau_i`` the firm's logit scale.
    """
    return expit((np.asarray(npv_per_yuan) - premium) / np.asarray(scale))


def effective_subsidy(
    award: ArrayLike,
    investment: ArrayLike,
    award_probability: ArrayLike,
    application_propensity: float,
    payment_delay_quarters: ArrayLike,
    hurdle: ArrayLike,
) -> FloatArray:
    r"""Subsidy a firm counts on when deciding, as a share of investment [-].

    .. math:: s = \pi\,\omega\,\frac{g}{I}\,(1+h)^{-L_{pay}/4}

    ``pi`` the perceived award probability, ``omega`` the propensity to apply, ``g`` the award
    under the instrument's rule and ``L_pay`` quarters from decision to payment.
    """
    investment = np.asarray(investment, dtype=np.float64)
    discount = (1.0 + np.asarray(hurdle)) ** (-np.asarray(payment_delay_quarters) / 4.0)
    share = np.divide(
        np.asarray(award, dtype=np.float64),
        investment,
        out=np.zeros_like(investment),
        where=investment > 0,
    )
    return np.asarray(award_probability) * application_propensity * share * discount


def tax_price(cit_rate: ArrayLike, super_deduction: float, claims: ArrayLike) -> FloatArray:
    r"""After-tax price of one yuan of R&D relative to other spending [-].

    .. math:: \rho = \frac{1 - \tau (1 + sd\cdot claim)}{1 - \tau}

    With a 25% CIT and the 50% super-deduction claimed, ``rho = (1 - 0.375) / 0.75 = 0.833``;
    firms without taxable profit or not claiming face ``rho = 1``.
    """
    tau = np.asarray(cit_rate, dtype=np.float64)
    claim = np.asarray(claims, dtype=np.float64)
    return (1.0 - tau * (1.0 + super_deduction * claim)) / (1.0 - tau)


def desired_rd(
    base_intensity: ArrayLike,
    revenue: ArrayLike,
    price: ArrayLike,
    reference_price: ArrayLike,
    elasticity: float,
) -> FloatArray:
    r"""Desired R&D spending [yuan/year].

    .. math:: rd^* = \nu_i R_i (\rho / \rho_0)^{-\varepsilon_{RD}}

    ``nu_i`` the firm's R&D intensity at the reference tax price ``rho_0`` (the 2015 rules).
    """
    ratio = np.asarray(price, dtype=np.float64) / np.asarray(reference_price, dtype=np.float64)
    return np.asarray(base_intensity) * np.asarray(revenue) * ratio ** (-elasticity)


def innovation_probability(
    rd_intensity: ArrayLike, reference_intensity: float, rate: float, boost: ArrayLike = 0.0
) -> FloatArray:
    r"""Quarterly probability of a product innovation.

    .. math:: p = 1 - \exp(-\zeta (1 + b)\, r_i / r_{ref})

    (the innovation draw of Dosi, Fagiolo & Roventini 2010, with ``b`` the boost from an
    innovation centre in the firm's sector).
    """
    r = np.asarray(rd_intensity, dtype=np.float64) / reference_intensity
    return -np.expm1(-rate * (1.0 + np.asarray(boost)) * r)


def first_of_kind_sale_probability(
    coefficients: tuple[float, float, float],
    subsidy_share: ArrayLike,
    risk: float,
    insurance_cover: ArrayLike,
) -> FloatArray:
    r"""Probability a first-of-a-kind set finds a buyer.

    .. math:: P = \Lambda(b_0 + b_1 s - b_2\, risk\,(1 - cover))

    ``s`` the price subsidy share (maker plus buyer rules), ``cover`` the share of the
    insurance premium paid by government (national 80% plus the province's 15%).
    """
    b0, b1, b2 = coefficients
    return expit(
        b0 + b1 * np.asarray(subsidy_share) - b2 * risk * (1.0 - np.asarray(insurance_cover))
    )


def exit_hazard(
    annual_rate: float,
    size_relative_to_median: ArrayLike,
    size_elasticity: float = -0.3,
    period_years: float = 1.0,
) -> FloatArray:
    r"""Probability that a firm leaves the above-scale population within a period.

    The probability falls with size.

    .. math:: p = 1 - (1 - \chi)^{\Delta t \cdot (S/S_{med})^{\eta}}

    ``chi`` the annual exit rate of a median-size firm, ``eta`` the size elasticity (-0.3:
    assumption, larger firms exit less, as in most firm-dynamics data), ``Delta t`` the period
    in years (1: the above-scale register is revised once a year).
    """
    scale = np.power(np.maximum(np.asarray(size_relative_to_median), 1e-6), size_elasticity)
    return -np.expm1(period_years * scale * np.log1p(-min(annual_rate, 0.999999)))

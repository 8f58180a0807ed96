"""The enterprises of the base year and each entrant's starting state (ODD 5, initialisation).

:class:`Population` owns the :class:`~mfgplan.economy.firms.FirmTable` and what the firms'
starting state is scaled to: the province-wide offsets that make the VA-weighted SEI, high-tech
and CNC levels equal the base year of the statistical baseline, the median size and the
reference R&D intensity. Draws come from the stream it is handed, in a fixed order, so a seed
gives the same population in every scenario.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.optimize import brentq

from mfgplan.economy import rules
from mfgplan.economy.firms import FirmTable
from mfgplan.inputs.behaviour import Behaviour
from mfgplan.inputs.sectors import CITIES, SECTORS

__all__ = ["Population", "logit_offset"]

N_SECTORS = len(SECTORS)
N_CITIES = len(CITIES)


def logit_offset(
    target: float, base_logit: np.ndarray, weights: np.ndarray, iterations: int = 60
) -> float:
    """Offset ``d`` such that ``sum(w * expit(base + d)) / sum(w) = target``.

    Brent's method to 1e-10 in the logit; the bounds ``+-15`` if the target is out of reach.
    """
    total = weights.sum()

    def gap(offset: float) -> float:
        return float((weights * rules.expit(base_logit + offset)).sum() / total) - target

    lo, hi = -15.0, 15.0
    if gap(lo) >= 0.0:
        return lo
    if gap(hi) <= 0.0:
        return hi
    return float(brentq(gap, lo, hi, xtol=1e-10, maxiter=iterations))


class Population:
    """The firm table and the scales the firms' starting state is drawn against.

    Parameters
    ----------
    behaviour
        The behavioural parameters (size distribution, traits, R&D).
    sectors, city_shares
        :func:`mfgplan.inputs.sectors.sector_arrays` and
        :func:`mfgplan.inputs.sectors.city_shares`.
    n_firms
        Enterprises in the base year; the table has room for 30% more before it grows.
    sample_fraction
        The model's firms as a fraction of the province's: the firms are a sample of the
        province's, so their value added and R&D add up to this fraction of the province's.
    """

    def __init__(
        self,
        behaviour: Behaviour,
        sectors: Mapping[str, np.ndarray],
        city_shares: np.ndarray,
        n_firms: int,
        sample_fraction: float = 1.0,
    ) -> None:
        self.behaviour = behaviour
        self.sample_fraction = float(sample_fraction)
        self.sectors = sectors
        self.city_shares = city_shares
        self.firms = FirmTable(int(n_firms * 1.3) + 16)
        #: province-wide logit offsets of the SEI, high-tech and CNC shares (set by draw)
        self.sei_offset = 0.0
        self.hightech_offset = 0.0
        self.cnc_offset = 0.0
        #: median base-year value added [yuan/year]; the scale of "small" firms
        self.median_va = 0.0
        #: business R&D over the performers' revenue in the base year [fraction]
        self.reference_rd_intensity = 0.0
        #: R&D per unit of propensity x revenue in the base year (entrants' R&D)
        self.rd_scale = 0.0

    def draw_base_year(
        self, baseline: Mapping[str, np.ndarray], n: int, rng: np.random.Generator
    ) -> None:
        """Draw the base-year population (ODD section 5, initialisation).

        Sector and city by their shares; a lognormal size body with a Pareto tail above the
        95th percentile, scaled so that each sector's firms add up to its share of the
        baseline's base-year industrial VA (with a sample fraction below one, these are the
        province's firms and the model's a simple random sample of them); traits; product mix and
        CNC offset to the baseline's base-year levels; business R&D of the base year (times the
        sample fraction) spread over the performers by revenue and technology content.
        """
        b = self.behaviour
        sec = self.sectors
        slots = self.firms.allocate(n)
        f = self.firms
        # the province's firms (a sample of them when the sample fraction is below one; above
        # one, a larger population of firms like the province's, its VA scaled up alike)
        fraction = self.sample_fraction
        n_province = n if fraction >= 1.0 else round(n / fraction)
        sector = rng.choice(N_SECTORS, size=n_province, p=sec["firm_share"])
        f.city[slots] = rng.choice(N_CITIES, size=n, p=self.city_shares)
        f.ownership[slots] = np.where(rng.random(n) < b.soe_share, 0, 1)
        # heavy-tailed size: lognormal body, Pareto tail above the 95th percentile
        size = rng.lognormal(0.0, b.size_sd, n_province)
        cut = np.quantile(size, b.size_tail_quantile)
        tail = size > cut
        size[tail] = cut * (1.0 - rng.random(tail.sum())) ** (-1.0 / b.pareto_tail_exponent)
        # scale each sector's firms to its share of base-year industrial VA
        industrial_va = baseline["industrial_va"][0] * max(fraction, 1.0)
        va = np.zeros(n_province)
        for s in range(N_SECTORS):
            in_s = sector == s
            if in_s.any():
                va[in_s] = size[in_s] / size[in_s].sum() * sec["va_share"][s] * industrial_va
        if n_province != n:
            # a simple random sample of the province's firms: the same size distribution,
            # its heavy tail included, at any sample size
            chosen = np.sort(rng.choice(n_province, size=n, replace=False))
            sector, va = sector[chosen], va[chosen]
        f.sector[slots] = sector
        f.va_base[slots] = va
        self.draw_traits(slots, rng)
        # scale product mix and CNC so that province-wide levels equal the base-year baseline
        weights = va
        self.sei_offset = logit_offset(baseline["sei_share"][0], f.sei_logit[slots], weights)
        self.hightech_offset = logit_offset(
            baseline["hightech_share"][0], f.hightech_logit[slots], weights
        )
        key = sec["key_area"][f.sector[slots]]
        self.cnc_offset = logit_offset(
            baseline["cnc_rate"][0], f.cnc_logit[slots][key], weights[key]
        )
        self.apply_levels(slots)
        # R&D: business R&D of the base year spread over performers by revenue and tech content
        gdp = baseline["gdp"][0]
        business_rd = baseline["rd_intensity"][0] * gdp * b.business_rd_share * self.sample_fraction
        perf = f.rd_performer[slots]
        revenue = va / b.va_to_revenue
        propensity = np.where(perf, b.rd_propensity_intercept + f.hightech[slots], 0.0)
        scale = business_rd / max((propensity * revenue).sum(), 1.0)
        f.rd_intensity_ref[slots] = propensity * scale
        f.rd[slots] = f.rd_intensity_ref[slots] * revenue
        f.rd_base[slots] = f.rd[slots]
        self.reference_rd_intensity = float(f.rd[slots].sum() / max(revenue[perf].sum(), 1.0))
        self.median_va = float(np.median(va))
        live = f.live_slots()
        revenue = f.va_base[live] / b.va_to_revenue
        propensity = np.where(
            f.rd_performer[live], b.rd_propensity_intercept + f.hightech[live], 0.0
        )
        total = (propensity * revenue).sum()
        self.rd_scale = float(f.rd[live].sum() / total) if total > 0 else 0.0

    def draw_traits(self, slots: np.ndarray, rng: np.random.Generator) -> None:
        """Hurdle, liquidity, tax status, R&D status and latent product-mix draws."""
        b = self.behaviour
        n = slots.size
        f = self.firms
        f.hurdle[slots] = np.clip(
            rng.normal(b.hurdle_rate_mean, b.hurdle_rate_sd, n),
            b.hurdle_rate_floor,
            b.hurdle_rate_ceiling,
        )
        f.liquidity[slots] = rng.normal(0.0, b.liquidity_sd, n)
        f.taxable[slots] = rng.random(n) < b.taxable_share
        f.rd_performer[slots] = rng.random(n) < b.rd_performer_share
        f.claims_deduction[slots] = f.taxable[slots] & (rng.random(n) < b.super_deduction_take_up)
        s = f.sector[slots]
        mix_sd = b.product_mix_logit_sd
        # the sector means' log-odds, computed per sector and gathered for the firms
        sei, ht, cnc = (
            rules.logit(self.sectors[k]) for k in ("sei_mean", "hightech_mean", "cnc_mean")
        )
        f.sei_logit[slots] = sei[s] + rng.normal(0, mix_sd, n)
        f.hightech_logit[slots] = ht[s] + rng.normal(0, mix_sd, n)
        f.cnc_logit[slots] = cnc[s] + rng.normal(0, b.cnc_logit_sd, n)

    def apply_levels(self, slots: np.ndarray) -> None:
        """Product mix and CNC share of ``slots`` from their latent draws and the offsets.

        They are the same in both worlds.
        """
        f = self.firms
        for name, offset in (
            ("sei", self.sei_offset),
            ("hightech", self.hightech_offset),
            ("cnc", self.cnc_offset),
        ):
            share = rules.expit(getattr(f, f"{name}_logit")[slots] + offset)
            getattr(f, name)[slots] = share
            getattr(f, f"{name}_base")[slots] = share

    def add_entrants(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Slots of ``n`` new firms with their starting state (ODD 7.7).

        The register's entrants are smaller than incumbents: revenue around
        ``entrant_median_revenue``.
        """
        b = self.behaviour
        slots = self.firms.allocate(n)
        f = self.firms
        f.sector[slots] = rng.choice(N_SECTORS, size=n, p=self.sectors["firm_share"])
        f.city[slots] = rng.choice(N_CITIES, size=n, p=self.city_shares)
        f.ownership[slots] = np.where(rng.random(n) < b.soe_share, 0, 1)
        f.va_base[slots] = (
            b.entrant_median_revenue
            * b.va_to_revenue
            * rng.lognormal(0.0, b.entrant_size_sd_ratio * b.size_sd, n)
        )
        self.draw_traits(slots, rng)
        self.apply_levels(slots)
        revenue = f.va_base[slots] / b.va_to_revenue
        propensity = np.where(
            f.rd_performer[slots], b.rd_propensity_intercept + f.hightech[slots], 0.0
        )
        f.rd_intensity_ref[slots] = propensity * self.rd_scale
        f.rd[slots] = f.rd_intensity_ref[slots] * revenue
        f.rd_base[slots] = f.rd[slots]
        return slots

    def sector_levels(self) -> tuple[np.ndarray, np.ndarray]:
        """SEI and high-tech shares of a typical firm of each sector [fraction].

        They are taken at the province offsets (the product mix of cluster-fund entrants).
        """
        sei = rules.expit(rules.logit(self.sectors["sei_mean"]) + self.sei_offset)
        ht = rules.expit(rules.logit(self.sectors["hightech_mean"]) + self.hightech_offset)
        return sei, ht

"""The statistical baseline: statsmodels forecasts of the province without the programme.

Every indicator is fitted on the data up to an as-of year and simulated to the horizon with
uncertainty from three sources: the base-year level (a measurement with its error), the model's
estimated drift (its standard error) and future innovations. The short series (high-tech
share, CNC rate, R&D intensity, enterprise count) are measured local trends fitted jointly
(:func:`mfgplan.calibration.trend.fit_measured_trends`: their figures' error scale and the
shares' volatility pooled, the count's drift from a related series and its threshold break
as re-definition risk; ``calibration/METHOD.md``, "Honest bands"). Short, gappy series
never crash the fit: each indicator has a fallback chain, warnings and failed optimisations count as
non-convergence, and :attr:`BaselineFit.methods` says which model was used and why.

Construction of value added (assumptions A5-A7 in ``calibration/data/SOURCES.md``):

- industry's share of GDP ``s`` = secondary-industry share x 0.809 (industry / secondary in
  2009, the only year with both), modelled as a random walk with drift on the logit scale;
- nominal GDP grows with real growth (damped-trend ETS) plus the GDP deflator (AR(1));
- manufacturing VA = GDP x ``s`` x 0.812 (national manufacturing / industry in 2012, sd 0.03);
- above-scale industrial VA = GDP x ``s`` x 0.90 (above-scale share of industry, an
  assumption with sd 0.04).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from mfgplan.calibration.relations import measured_baseline_trends
from mfgplan.calibration.series import load_history, series
from mfgplan.calibration.trend import TRANSFORMS, ErrorScale, measurement_sd

__all__ = [
    "DERIVED_HISTORY",
    "UNITS",
    "BaselineFit",
    "DriftModel",
    "fit_baseline",
    "fit_drift",
    "forecast_dataset",
]

INDUSTRY_PER_SECONDARY = (0.809, 0.03)  # 3170.1 / 3919.45 in 2009; sd assumption A5
MANUFACTURING_PER_INDUSTRY = (0.812, 0.03)  # national 169800 / 209000 in 2012; A6
ABOVE_SCALE_PER_INDUSTRY = (0.90, 0.04)  # assumption A7
GROWTH_SIGMA_FLOOR = 0.01  # a year; assumption A8

#: chart history that is derived from other statistics, not published as such:
#: indicator -> (Chinese, English) note of how (:func:`_chart_history`)
DERIVED_HISTORY: dict[str, tuple[str, str]] = {
    "manufacturing_va": ("由GDP×工业占比×制造业比例推算", "GDP x industry share x mfg ratio"),
    "industrial_va": ("由GDP×工业占比×规上比例推算", "GDP x industry share x above-scale ratio"),
    "cnc_rate": ("全国数控化率，代用", "national CNC rate, as proxy"),
}
UNITS = {
    "gdp": ("yuan", "provincial GDP, nominal"),
    "industrial_va": ("yuan", "above-scale industrial value added, nominal"),
    "manufacturing_va": ("yuan", "manufacturing value added, nominal"),
    "industrial_va_growth": ("fraction", "real growth of above-scale industrial value added"),
    "gdp_real_growth": ("fraction", "real GDP growth"),
    "va_deflator_growth": ("fraction", "growth of the value-added (GDP) deflator"),
    "industry_share": ("fraction", "industry's share of GDP"),
    "hightech_share": ("fraction", "high-tech industry share of above-scale industrial VA"),
    "sei_share": ("fraction", "SEI share of above-scale industrial VA"),
    "cnc_rate": ("fraction", "key-process CNC rate (national series as proxy)"),
    "rd_intensity": ("fraction", "R&D expenditure / GDP"),
    "enterprise_count": ("count", "above-scale industrial enterprises"),
}


@dataclass(frozen=True)
class DriftModel:
    r"""A random walk with drift on a transformed scale.

    .. math:: x_{t+1} = x_t + d + \sigma \varepsilon_{t+1}, \quad d \sim N(\hat d, se_d^2)

    The walk starts at the last observation ``x_{T_0} ~ N(x_obs, sd_obs^2)`` (its measurement
    error) and is stepped to every later year.
    """

    transform: str
    last_year: int
    last_value: float
    last_sd: float
    drift: float
    drift_se: float
    sigma: float
    method: str

    def simulate(self, years: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """Paths ``(n, len(years))`` in natural units.

        ``years`` must start at or after the last observation.
        """
        years = np.asarray(years, dtype=int)
        steps = years[-1] - self.last_year
        x0 = self.last_value + self.last_sd * rng.standard_normal(n)
        drift = self.drift + self.drift_se * rng.standard_normal(n)
        shocks = self.sigma * rng.standard_normal((n, max(steps, 0)))
        path = np.concatenate(
            [x0[:, None], x0[:, None] + np.cumsum(drift[:, None] + shocks, axis=1)], axis=1
        )
        index = years - self.last_year
        if (index < 0).any():
            raise ValueError("years before the last observation")
        return TRANSFORMS[self.transform][1](path[:, index])


def _sarimax_quiet(endog: np.ndarray, **kwargs: object) -> tuple[object | None, str]:
    """Fit a SARIMAX; returns ``(results, "")`` or ``(None, reason)`` on any non-convergence."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = SARIMAX(endog, **kwargs).fit(disp=False)
        except (ValueError, np.linalg.LinAlgError) as err:
            return None, f"failed ({type(err).__name__})"
    if caught:
        return None, f"not converged ({str(caught[0].message)[:60]})"
    params = np.asarray(res.params)
    if not np.isfinite(params).all() or not res.mle_retvals.get("converged", False):
        return None, "not converged"
    return res, ""


def fit_drift(
    years: np.ndarray,
    values: np.ndarray,
    sigmas: np.ndarray,
    transform: str,
    *,
    prior_drift: tuple[float, float],
    prior_sigma: float,
    name: str,
) -> DriftModel:
    """Fit a random walk with drift, falling back when the data cannot support it.

    1. ``SARIMAX(0,1,0)`` with a constant on the annual grid (gaps as missing values, handled by
       the Kalman filter), if at least four observations;
    2. the weighted mean of annualised differences between observations (two or more);
    3. the prior drift (one observation).
    """
    x = TRANSFORMS[transform][0](np.asarray(values, dtype=float))
    sd = measurement_sd(values, sigmas, transform)
    last_year, last_value, last_sd = int(years[-1]), float(x[-1]), float(sd[-1])
    reasons = []
    if len(years) >= 4:
        grid = np.arange(years[0], years[-1] + 1)
        endog = np.full(grid.size, np.nan)
        endog[years - years[0]] = x
        res, why = _sarimax_quiet(endog, order=(0, 1, 0), trend="c")
        if res is not None:
            params = dict(zip(res.model.param_names, np.asarray(res.params), strict=True))
            se = dict(zip(res.model.param_names, np.asarray(res.bse), strict=True))
            drift_se = float(se.get("intercept", np.nan))
            if np.isfinite(drift_se):
                return DriftModel(
                    transform, last_year, last_value, last_sd,
                    float(params["intercept"]), drift_se,
                    max(float(np.sqrt(params["sigma2"])), 1e-4),
                    "SARIMAX(0,1,0)+drift",
                )  # fmt: skip
            why = "no standard error"
        reasons.append(f"SARIMAX {why}")
    else:
        reasons.append(f"only {len(years)} observations for SARIMAX")
    if len(years) >= 2:
        dt = np.diff(years).astype(float)
        rate = np.diff(x) / dt
        drift = float(np.average(rate, weights=dt))
        if len(years) >= 3:
            resid = (np.diff(x) - drift * dt) / np.sqrt(dt)
            sigma = max(float(np.sqrt(np.sum(resid**2) / (len(resid) - 1))), prior_sigma / 2)
        else:
            sigma = prior_sigma
        drift_se = sigma / np.sqrt(dt.sum())
        return DriftModel(
            transform, last_year, last_value, last_sd, drift, float(drift_se), sigma,
            "mean annualised difference (fallback: " + "; ".join(reasons) + ")",
        )  # fmt: skip
    reasons.append("one observation")
    return DriftModel(
        transform, last_year, last_value, last_sd, prior_drift[0], prior_drift[1], prior_sigma,
        "prior drift (fallback: " + "; ".join(reasons) + ")",
    )  # fmt: skip


@dataclass(frozen=True)
class GrowthModel:
    r"""A growth rate forecast: point forecast plus accumulated innovations.

    .. math:: g_{T+h} = \hat g_{T+h} + \sum_{j \le h} \sigma \varepsilon_j

    ``hat g`` from a damped-trend ETS (or AR(1), or the last value), ``sigma`` the residual sd
    floored at :data:`GROWTH_SIGMA_FLOOR` (the models are fitted on five or six points).
    """

    last_year: int
    last_value: float
    point: np.ndarray  # forecasts for last_year+1 .. last_year+len(point)
    sigma: float
    method: str
    iid_sd: float = 0.0  # independent (not accumulated) noise, for mean-reverting fallbacks
    persistence: float = 1.0  # deviation_h = persistence * deviation_{h-1} + sigma * eps_h

    def simulate(self, years: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """Paths ``(n, len(years))``; the entry for ``last_year`` is the observed value."""
        years = np.asarray(years, dtype=int)
        steps = years[-1] - self.last_year
        eps = self.sigma * rng.standard_normal((n, steps))
        shocks = np.empty((n, steps))
        previous = np.zeros(n)
        for h in range(steps):
            previous = self.persistence * previous + eps[:, h]
            shocks[:, h] = previous
        shocks = shocks + self.iid_sd * rng.standard_normal((n, steps))
        path = np.concatenate(
            [np.full((n, 1), self.last_value), self.point[None, :steps] + shocks], axis=1
        )
        return path[:, years - self.last_year]


def fit_growth(
    years: np.ndarray, values: np.ndarray, horizon: int, name: str, *, trend: bool = True
) -> GrowthModel:
    """Forecast an annual growth series.

    With ``trend``: damped-trend ETS (gaps linearly interpolated), falling back to AR(1) with a
    constant, then to the last value (random walk). Without ``trend`` (a mean-reverting series
    such as the deflator): AR(1) with a constant (gaps as missing values), falling back to the
    sample mean.
    """
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    grid = np.arange(years[0], years[-1] + 1)
    y = np.interp(grid, years, values)
    steps = horizon - int(grid[-1])
    reasons = []
    resid_sd = float(np.std(np.diff(values), ddof=1)) if len(values) > 2 else GROWTH_SIGMA_FLOOR
    if not trend:
        if len(values) >= 4:
            endog = np.full(grid.size, np.nan)
            endog[years - years[0]] = values
            res, why = _sarimax_quiet(endog, order=(1, 0, 0), trend="c")
            if res is not None:
                point = np.asarray(res.forecast(steps))
                params = dict(zip(res.model.param_names, np.asarray(res.params), strict=True))
                sigma = max(float(np.sqrt(params["sigma2"])), GROWTH_SIGMA_FLOOR)
                return GrowthModel(
                    int(grid[-1]), float(values[-1]), point, sigma, "AR(1)+constant",
                    persistence=float(np.clip(params["ar.L1"], -0.99, 0.99)),
                )  # fmt: skip
            reasons.append(f"AR(1) {why}")
        mean = float(np.mean(values))
        sd = float(np.std(values, ddof=1)) if len(values) > 1 else GROWTH_SIGMA_FLOOR
        # iid around the mean: express as a path with no accumulation by using sd / sqrt(h)
        return GrowthModel(
            int(grid[-1]), float(values[-1]), np.full(steps, mean), 0.0,
            "sample mean (fallback: " + "; ".join(reasons or ["too few points"]) + ")",
            iid_sd=max(sd, GROWTH_SIGMA_FLOOR),
        )  # fmt: skip
    if len(y) >= 5:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = ETSModel(y, error="add", trend="add", damped_trend=True).fit(disp=False)
                point = np.asarray(res.forecast(steps))
                ok = res.mle_retvals.get("converged", False) and np.isfinite(point).all()
            except (ValueError, np.linalg.LinAlgError):
                ok = False
        if ok and not caught:
            sigma = max(float(np.sqrt(res.mse)), GROWTH_SIGMA_FLOOR)
            method = "ETS(A,Ad,N)" + (" (gaps interpolated)" if len(grid) > len(years) else "")
            return GrowthModel(int(grid[-1]), float(y[-1]), point, sigma, method)
        reasons.append("ETS not converged")
    if len(y) >= 4:
        res, why = _sarimax_quiet(y, order=(1, 0, 0), trend="c")
        if res is not None:
            point = np.asarray(res.forecast(steps))
            sigma = max(float(np.sqrt(res.params[-1])), GROWTH_SIGMA_FLOOR)
            return GrowthModel(
                int(grid[-1]), float(y[-1]), point, sigma,
                "AR(1)+constant (fallback: " + "; ".join(reasons) + ")",
            )  # fmt: skip
        reasons.append(f"AR(1) {why}")
    sigma = max(resid_sd, GROWTH_SIGMA_FLOOR)
    return GrowthModel(
        int(grid[-1]), float(y[-1]), np.full(steps, float(y[-1])), sigma,
        "random walk (fallback: " + ("; ".join(reasons) or "too few points") + ")",
    )  # fmt: skip


@dataclass
class BaselineFit:
    """Fitted baseline models and the history they saw."""

    as_of: int
    horizon: int
    models: dict[str, object]
    methods: dict[str, str]
    history: dict[str, tuple[np.ndarray, np.ndarray]]
    units: dict[str, str] = field(default_factory=lambda: {k: v[0] for k, v in UNITS.items()})
    descriptions: dict[str, str] = field(
        default_factory=lambda: {k: v[1] for k, v in UNITS.items()}
    )
    gdp_last: tuple[int, float, float] = (0, 0.0, 0.0)
    #: posterior of the measurement-error scale of the measured trends (assumption A16)
    error_scale: ErrorScale | None = None

    def base_year_enterprises(self) -> int:
        """Enterprises in the as-of year from the data (the last observed value up to it)."""
        years, values = self.history["enterprise_count"]
        return round(float(values[years <= self.as_of][-1]))

    def simulate_paths(
        self, years: np.ndarray, n_paths: int, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """Joint paths of every indicator, shape ``(n_paths, len(years))``, ``years[0] = as_of``.

        Draw order is fixed (so a generator gives the same paths every time).
        """
        years = np.asarray(years, dtype=int)
        if years[0] != self.as_of:
            raise ValueError(f"years must start at the as-of year {self.as_of}")
        if years[-1] > self.horizon:
            raise ValueError(f"years beyond the fitted horizon {self.horizon}")
        n = n_paths
        m = self.models
        out: dict[str, np.ndarray] = {}
        real = m["gdp_real_growth"].simulate(years, n, rng)
        deflator = m["va_deflator_growth"].simulate(years, n, rng)
        _gdp_year, gdp_value, gdp_sd = self.gdp_last
        log_gdp0 = np.log(gdp_value) + gdp_sd / gdp_value * rng.standard_normal(n)
        growth = np.log1p(real[:, 1:]) + np.log1p(deflator[:, 1:])
        log_gdp = np.concatenate([log_gdp0[:, None], log_gdp0[:, None] + np.cumsum(growth, 1)], 1)
        gdp = np.exp(log_gdp)
        share = m["industry_share"].simulate(years, n, rng)
        mfg_ratio = MANUFACTURING_PER_INDUSTRY[0] + MANUFACTURING_PER_INDUSTRY[
            1
        ] * rng.standard_normal(n)
        above = ABOVE_SCALE_PER_INDUSTRY[0] + ABOVE_SCALE_PER_INDUSTRY[1] * rng.standard_normal(n)
        industry = gdp * share
        out["gdp"] = gdp
        out["gdp_real_growth"] = real
        out["va_deflator_growth"] = deflator
        out["industry_share"] = share
        out["manufacturing_va"] = industry * mfg_ratio[:, None]
        out["industrial_va"] = industry * above[:, None]
        real_industry = np.empty_like(real)
        real_industry[:, 0] = real[:, 0]  # base year: real GDP growth (assumption A9)
        real_industry[:, 1:] = industry[:, 1:] / industry[:, :-1] / (1.0 + deflator[:, 1:]) - 1.0
        out["industrial_va_growth"] = real_industry
        for name in ("hightech_share", "sei_share", "cnc_rate", "rd_intensity", "enterprise_count"):
            out[name] = m[name].simulate(years, n, rng)
        return out


def _history_arrays(
    history: pd.DataFrame, as_of: int
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Annual series the models are fitted on (SI units), built from the published rows."""
    out = {}
    gy, gv, gs = series(history, "gdp")
    out["gdp"] = (gy, gv, gs)
    # industry share of GDP: direct 2006 figure, secondary VA / GDP and secondary share, x ratio
    ratio, ratio_sd = INDUSTRY_PER_SECONDARY
    share: dict[int, tuple[float, float]] = {}
    sy, sv, ss = series(history, "secondary_va")
    gdp_by_year = dict(zip(gy, gv, strict=True))
    for y, v, s in zip(sy, sv, ss, strict=True):
        if y in gdp_by_year:
            share[int(y)] = (v / gdp_by_year[y] * ratio, np.hypot(s / v, ratio_sd / ratio))
    py, pv, ps = series(history, "secondary_share_of_gdp")
    for y, v, s in zip(py, pv, ps, strict=True):
        share[int(y)] = (v * ratio, np.hypot(s / v, ratio_sd / ratio))
    iy, iv, is_ = series(history, "industrial_va_all")
    for y, v, s in zip(iy, iv, is_, strict=True):
        if y in gdp_by_year:
            share[int(y)] = (v / gdp_by_year[y], s / v)
    dy, dv, ds = series(history, "industrial_share_of_gdp")
    for y, v, s in zip(dy, dv, ds, strict=True):
        share.setdefault(int(y), (v, s / v))
    ys = np.array(sorted(share))
    out["industry_share"] = (
        ys,
        np.array([share[y][0] for y in ys]),
        np.array([share[y][0] * share[y][1] for y in ys]),
    )
    ry, rv, rs = series(history, "gdp_real_growth")
    out["gdp_real_growth"] = (ry, rv, rs)
    # GDP deflator growth where nominal and real growth are both known
    defl_y, defl_v = [], []
    for y, g in zip(ry, rv, strict=True):
        if y in gdp_by_year and y - 1 in gdp_by_year:
            defl_y.append(int(y))
            defl_v.append(gdp_by_year[y] / gdp_by_year[y - 1] / (1.0 + g) - 1.0)
    out["va_deflator_growth"] = (np.array(defl_y), np.array(defl_v), np.zeros(len(defl_y)))
    for name, indicator in (
        ("hightech_share", "hightech_share"),
        ("cnc_rate", "cnc_rate_national"),
        ("rd_intensity", "rd_intensity"),
        ("enterprise_count", "enterprise_count"),
        ("sei_share", "sei_share"),
    ):
        out[name] = series(history, indicator)
    return out


def fit_baseline(
    as_of: int = 2015, horizon: int = 2050, data: pd.DataFrame | None = None
) -> BaselineFit:
    """Fit every baseline model on the data up to ``as_of`` (see the module docstring)."""
    history = data if data is not None else load_history(as_of=as_of)
    if data is not None:
        history = history[
            (history["year"] <= as_of) | ((history["kind"] == "level_anchor") & (as_of >= 2015))
        ]
    arrays = _history_arrays(history, as_of)
    models: dict[str, object] = {}
    methods: dict[str, str] = {}
    gy, gv, gs = arrays["gdp"]
    real_y, real_v, _ = arrays["gdp_real_growth"]
    models["gdp_real_growth"] = fit_growth(real_y, real_v, horizon, "gdp_real_growth")
    dy, dv, _ = arrays["va_deflator_growth"]
    models["va_deflator_growth"] = fit_growth(dy, dv, horizon, "va_deflator_growth", trend=False)
    y, v, s = arrays["industry_share"]
    models["industry_share"] = fit_drift(
        y, v, s, "logit", prior_drift=(0.0, 0.05), prior_sigma=0.05, name="industry_share"
    )
    trends, error_scale = measured_baseline_trends(arrays, models, history, as_of)
    models.update(trends)
    # SEI: one level anchor (2016, derived) read as the base-year level with one year of drift
    # added to its error; drift and volatility borrowed from the high-tech share (assumption A10)
    ht = models["hightech_share"]
    sy, sv, ss = arrays["sei_share"]
    if sy.size:
        x = np.log(sv[0]) - np.log1p(-sv[0])
        sd = float(np.hypot(ss[0] / (sv[0] * (1 - sv[0])), ht.sigma))  # type: ignore[attr-defined]
        models["sei_share"] = DriftModel(
            "logit", as_of, float(x - ht.drift), sd, ht.drift, ht.drift_se, ht.sigma,  # type: ignore[attr-defined]
            "level anchor (2016 derived) + high-tech drift (assumption A10)",
        )  # fmt: skip
    else:
        # before 2015 no SEI figure may be seen: a wide prior around 12% (assumption A10)
        models["sei_share"] = DriftModel(
            "logit", as_of, float(np.log(0.12 / 0.88)), 0.3, ht.drift, ht.drift_se, ht.sigma,  # type: ignore[attr-defined]
            "prior level 12% (sd 0.3 on the logit scale; no data at this as-of year)",
        )  # fmt: skip
    for name, model in models.items():
        methods[name] = model.method  # type: ignore[attr-defined]
    gdp_as_of = gy <= as_of
    gdp_last = (int(gy[gdp_as_of][-1]), float(gv[gdp_as_of][-1]), float(gs[gdp_as_of][-1]))
    if gdp_last[0] != as_of:
        raise ValueError(f"no GDP figure for the as-of year {as_of}")
    for name in (
        "industry_share",
        "hightech_share",
        "cnc_rate",
        "rd_intensity",
        "enterprise_count",
    ):
        if models[name].last_year > as_of:  # type: ignore[attr-defined]
            raise AssertionError(f"{name}: data after the as-of year leaked into the fit")
    hist = _chart_history(arrays)
    return BaselineFit(
        as_of, horizon, models, methods, hist, gdp_last=gdp_last, error_scale=error_scale
    )


def _chart_history(arrays: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """History points in output units for fan charts."""
    hist: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    gy, gv, _ = arrays["gdp"]
    gdp = dict(zip(gy, gv, strict=True))
    sy, sv, _ = arrays["industry_share"]
    years = np.array([y for y in sy if y in gdp])
    industry = np.array([gdp[y] * v for y, v in zip(sy, sv, strict=True) if y in gdp])
    hist["manufacturing_va"] = (years, industry * MANUFACTURING_PER_INDUSTRY[0])
    hist["industrial_va"] = (years, industry * ABOVE_SCALE_PER_INDUSTRY[0])
    for name in ("hightech_share", "cnc_rate", "rd_intensity", "enterprise_count"):
        y, v, _ = arrays[name]
        hist[name] = (y, v)
    ry, rv, _ = arrays["gdp_real_growth"]
    hist["gdp_real_growth"] = (ry, rv)
    hist["gdp"] = (gy, gv)
    return hist


QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def forecast_dataset(
    as_of: int = 2015,
    horizon: int = 2025,
    n_paths: int = 1000,
    seed: int = 20160114,
    *,
    fit: BaselineFit | None = None,
) -> xr.Dataset:
    """Baseline paths and quantiles of every indicator as a labelled dataset.

    ``fit`` is the baseline fitted as of ``as_of`` to at least ``horizon``, fitted here if not
    given.
    """
    fit = fit or fit_baseline(as_of=as_of, horizon=max(horizon, as_of + 1))
    years = np.arange(as_of, horizon + 1)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    paths = fit.simulate_paths(years, n_paths, rng)
    data = {}
    for name, values in paths.items():
        units, long_name = UNITS[name]
        method = fit.methods.get(name, "derived (see calibration/forecast.py)")
        attrs = {"units": units, "long_name": long_name, "method": method}
        data[name] = (("path", "year"), values, attrs)
        data[f"{name}_quantiles"] = (
            ("quantile", "year"),
            np.quantile(values, QUANTILES, axis=0),
            {**attrs, "long_name": f"{long_name}: quantiles over paths"},
        )
    ds = xr.Dataset(
        data, coords={"path": np.arange(n_paths), "year": years, "quantile": list(QUANTILES)}
    )
    ds.attrs = {"as_of": as_of, "horizon": horizon, "seed": seed, "n_paths": n_paths}
    if fit.error_scale is not None:
        scale = fit.error_scale
        ds.attrs["measurement_error_scale"] = (
            f"posterior mean {scale.mean:.2f} (5-95% {scale.quantile(0.05):.2f}-"
            f"{scale.quantile(0.95):.2f}) x the A3-A4 errors, pooled over "
            f"{', '.join(scale.series)} (assumption A16)"
        )
    return ds

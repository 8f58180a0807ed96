"""Charts a planner pastes into a report: languages, fonts, no overlapping text, off-scale bars."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

from mfgplan.report.charts import _off_scale, fan_chart, per_yuan_chart
from mfgplan.report.planning_charts import _power_of_thousand
from mfgplan.report.words import INSTRUMENT_NAMES, Words, say


def test_words_in_each_language():
    w = Words("制造业增加值", "manufacturing value added")
    assert say(w, "zh") == "制造业增加值"
    assert say(w, "en") == "manufacturing value added"
    assert say(w, "both") == "制造业增加值 / manufacturing value added"
    assert say(Words("%", "%"), "both") == "%"  # the same in both: said once
    assert (Words("预测", "projection") + Words("中位数", "median")).en == "projection median"


def _boxes(fig):
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # a missing glyph warns here, and the test suite turns warnings into errors
    return canvas.get_renderer()


def test_a_chinese_fan_chart_draws_every_glyph_and_keeps_the_target_box_off_the_title():
    rng = np.random.default_rng(1)
    years = np.arange(2015, 2026)
    # the SEI case: the target (30%) far above the fan (17%), where P(met) once sat on the title
    samples = 0.15 + 0.005 * (years - 2015) + rng.normal(0, 0.01, (200, years.size))
    fig = fan_chart(
        years, samples, title="战略性新兴产业占比 / SEI share", ylabel="%", scale=0.01,
        history=(np.array([2013, 2014]), np.array([0.12, 0.13])), history_derived="推算 derived",
        target=(2020, 0.30), probability=0.0, target_label="不低于30% / at least 30%",
        lang="both",
    )  # fmt: skip
    renderer = _boxes(fig)
    ax = fig.axes[0]
    box = next(t for t in ax.texts if "P(met)" in t.get_text()).get_window_extent(renderer)
    title = ax.title.get_window_extent(renderer)
    inside = ax.get_window_extent(renderer)
    assert not box.overlaps(title)
    assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 <= inside.y1
    # derived history is drawn hollow and said to be derived
    labels = ax.get_legend_handles_labels()[1]
    assert any("推算 derived" in label for label in labels)


def test_one_huge_ratio_is_drawn_off_scale_not_dwarfing_the_rest():
    # the loan-guarantee case: little money, a ratio hundreds of times every other
    assert _off_scale(np.array([1630.0, 2.1, 1.5, -0.4])) == 2.1
    assert _off_scale(np.array([3.0, 2.0, 1.0])) == np.inf  # nothing stands out
    assert _off_scale(np.array([5.0])) == np.inf
    names = [INSTRUMENT_NAMES[n].zh for n in ("tech_retrofit_grant", "loan_guarantee_subsidy")]
    fig = per_yuan_chart(
        [*names, "x"], np.array([2.1, 1630.0, 1.5]), np.array([[1.0, 3.0], [-500, 4000], [1, 2]]),
        np.full(3, np.nan), np.full((3, 2), np.nan), title="t", xlabel="yuan per yuan",
        lang="zh",
    )  # fmt: skip
    _boxes(fig)
    ax = fig.axes[0]
    assert ax.get_xlim()[1] < 3.0  # the axis spans 0..2.1 (+15%), not 1630
    assert any("1.63e+03" in t.get_text() for t in ax.texts)


def test_the_power_of_ten_goes_into_the_axis_label():
    assert _power_of_thousand(np.array([2.4e9, 1e8])) == 9
    assert _power_of_thousand(np.array([0.004, 0.002])) == 0
    assert _power_of_thousand(np.array([3.1e-5])) == -6

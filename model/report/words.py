"""The words of the charts and the report, in Chinese and English.

A planner reads 中文, a modelling team English; every label is a :class:`Words` pair and
:func:`say` renders it in the language asked for (``--lang zh|en|both``; ``both``: Chinese
first). Names follow the plan's own wording (the Chinese text in ``../shared/plan``) where the
plan has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CAVEATS",
    "EVIDENCE",
    "INDICATOR_NAMES",
    "INSTRUMENT_NAMES",
    "LANGUAGES",
    "OUTCOME_NAMES",
    "PHRASES",
    "REPORT",
    "TARGET_ASKS",
    "UNIT_WORDS",
    "Language",
    "Words",
    "say",
]

Language = Literal["zh", "en", "both"]
#: the languages a chart or report can be written in
LANGUAGES: tuple[Language, ...] = ("both", "zh", "en")


@dataclass(frozen=True)
class Words:
    """One label in both languages."""

    zh: str
    en: str

    def say(self, lang: Language, sep: str = " / ") -> str:
        """The label in ``lang``; ``both`` joins Chinese and English with ``sep``."""
        if lang == "zh":
            return self.zh
        if lang == "en" or self.zh == self.en:
            return self.en
        return f"{self.zh}{sep}{self.en}"

    def __add__(self, other: Words) -> Words:
        """The two labels one after the other (a space between the English words)."""
        return Words(f"{self.zh}{other.zh}", f"{self.en} {other.en}")


def say(words: Words | str, lang: Language, sep: str = " / ") -> str:
    """``words`` in ``lang`` (a plain string is the same in every language)."""
    return words if isinstance(words, str) else words.say(lang, sep)


#: indicator -> its name
INDICATOR_NAMES: dict[str, Words] = {
    "manufacturing_va": Words("制造业增加值", "manufacturing value added"),
    "industrial_va": Words("规模以上工业增加值", "above-scale industrial value added"),
    "industrial_va_growth": Words("规模以上工业增加值实际增速", "real growth of industrial VA"),
    "sei_share": Words(
        "战略性新兴产业增加值占规上工业比重",
        "strategic emerging industries' share of industrial VA",
    ),
    "hightech_share": Words("高新技术产业增加值占规上工业比重", "high-tech share of industrial VA"),
    "cnc_rate": Words("重点领域生产装备数控化率", "CNC rate of key-area production equipment"),
    "rd_intensity": Words("研究与试验发展经费投入强度", "R&D expenditure relative to GDP"),
    "enterprise_count": Words("规模以上工业企业数", "above-scale industrial enterprises"),
    "gdp": Words("地区生产总值", "provincial GDP"),
    "gdp_real_growth": Words("地区生产总值实际增速", "real GDP growth"),
    "industry_share": Words("工业增加值占地区生产总值比重", "industry's share of GDP"),
    "va_deflator_growth": Words("增加值价格指数增速", "value-added deflator growth"),
}

#: a unit word of the model -> (level label, difference label)
UNIT_WORDS: dict[str, tuple[Words, Words]] = {
    "yuan": (Words("亿元（现价）", "100 million yuan, nominal"), Words("亿元", "100 million yuan")),
    "fraction": (Words("%", "%"), Words("百分点", "percentage points")),
    "growth": (Words("%/年（实际）", "% a year, real"), Words("百分点", "percentage points")),
    "count": (Words("家", "enterprises"), Words("家", "enterprises")),
}

#: a target -> what it asks
TARGET_ASKS: dict[str, Words] = {
    "manufacturing_va_1tn": Words("制造业增加值超过1万亿元", "manufacturing VA above 1万亿元"),
    "sei_share_30": Words("战略性新兴产业占比不低于30%", "SEI at least 30% of industrial VA"),
    "hightech_share_30": Words(
        "高新技术产业占比不低于30%", "high-tech at least 30% of industrial VA"
    ),
    "cnc_rate_60": Words("重点领域数控化率达到60%", "CNC rate in key areas at least 60%"),
}

#: an attribution outcome -> its name
OUTCOME_NAMES: dict[str, Words] = {
    "manufacturing_va_2020": Words("2020年制造业增加值", "manufacturing VA in 2020"),
    "industrial_va_cumulative": Words(
        "规上工业增加值（规划首年至期末累计）",
        "industrial VA summed over the programme to the horizon",
    ),
    "sei_share_2020": Words("2020年战略性新兴产业占比", "SEI share in 2020"),
    "hightech_share_2020": Words("2020年高新技术产业占比", "high-tech share in 2020"),
    "cnc_rate_2020": Words("2020年重点领域数控化率", "key-area CNC rate in 2020"),
}

#: an instrument -> its name (the plan's section 四 for the provincial ones)
INSTRUMENT_NAMES: dict[str, Words] = {
    "tech_retrofit_grant": Words("技术改造项目补助", "technical-retrofit grant"),
    "intelligent_mfg_demo_award": Words(
        "智能制造示范企业奖励", "intelligent-manufacturing demo award"
    ),
    "it_integration_demo_award": Words("两化融合示范企业奖励", "IT-integration demo award"),
    "sei_cluster_guiding_fund": Words("战略性新兴产业集聚区引导资金", "SEI cluster guiding fund"),
    "intelligent_mfg_base_grant": Words(
        "智能制造产业基地补助", "intelligent-manufacturing base grant"
    ),
    "platform_and_park_subsidy": Words("公共服务平台与示范园区补助", "platform and park subsidy"),
    "innovation_centre_grant": Words("创新中心补助", "innovation-centre grant"),
    "first_of_kind_equipment_subsidy": Words("首台（套）重大装备补助", "first-of-a-kind equipment"),
    "major_project_support": Words("重大产业化项目支持", "major-project support"),
    "loan_guarantee_subsidy": Words("融资担保补助", "loan-guarantee subsidy"),
    "investment_fund": Words("制造业产业投资基金", "manufacturing investment fund"),
    "rd_super_deduction": Words("研发费用加计扣除", "R&D super-deduction"),
}

#: the other words of the charts
PHRASES: dict[str, Words] = {
    "year": Words("年份", "year"),
    "projection": Words("预测", "projection"),
    "median": Words("中位数", "median"),
    "history": Words("历史数据", "history (data)"),
    "history_derived": Words("历史数据（推算）", "history (derived)"),
    "target": Words("目标", "target"),
    "p_met": Words("达标概率", "P(met)"),
    "baseline_as_of": Words("统计基线，截至", "statistical baseline as of"),
    "difference_from": Words(
        "与基准情景之差（相同随机数）", "difference from the reference (same draws)"
    ),
    "band90": Words("中位数与90%区间", "median, 90% band"),
    "what_it_buys": Words("每项政策工具的效果", "What each instrument buys"),
    "per_yuan": Words(
        "每元财政支出带来的增加值（元）", "yuan of value added per yuan of fiscal cost"
    ),
    "per_100m": Words("每亿元财政支出", "per 100 million yuan of fiscal cost"),
    "average": Words("平均（该工具全部资金）", "average (all money of the instrument)"),
    "marginal": Words("边际（资金增加10%）", "marginal (10% more money)"),
    "clipped": Words("区间截断", "interval clipped"),
    "off_scale": Words("超出坐标范围", "off scale"),
    "paired": Words("对配对重复模拟；横线为90%区间", "paired replicates; bars: 90% interval"),
    "frontier_title": Words("需要多少资金才能达标？", "What would it take?"),
    "frontier_x": Words(
        "规划资金倍数（规则不变）", "the programme's money, multiple of the scenario's"
    ),
    "frontier_y": Words("目标年达标概率 %（阴影为90%区间）", "P(target met in its year), %"),
    "observed_after": Words(
        "之后的实际数据（空心：非全年）", "observed after (hollow: partial year)"
    ),
    "data_seen": Words("模型所见数据", "data seen"),
    "model": Words("模型", "model"),
    "as_of": Words("起点", "as of"),
    "ets90": Words("ETS 90%区间", "ETS 90%"),
}

#: the words of report.html (:mod:`mfgplan.report.html`)
REPORT: dict[str, Words] = {
    "report": Words("情景报告", "scenario report"),
    "question": Words("问题", "The question"),
    "question_text": Words(
        "按本情景的资金安排，江西省《中国制造2025》实施方案的2020年目标能否实现？概率多大？"
        "每一项政策工具的资金带来什么？",
        "Are the plan's 2020 targets reachable under this scenario's allocation of the money, "
        "with what probability, and what does each instrument's money buy?",
    ),
    "verdict": Words("结论：各项目标", "The verdict, target by target"),
    "target": Words("目标", "target"),
    "p_met": Words("达标概率（90%区间）", "P(met) (90% interval)"),
    "level": Words("预测值：中位数 [90%区间]", "projection: median [90% band]"),
    "first_year": Words("首个达标概率≥0.5的年份", "first year with P(met) >= 0.5"),
    "not_by": Words("至{0}年未达到", "not by {0}"),
    "reading": Words("判断", "reading"),
    "likely": Words("很可能实现", "likely met"),
    "even": Words("实现与否难以判断", "about even"),
    "unlikely": Words("不太可能实现", "unlikely"),
    "missed": Words("将无法实现", "will be missed"),
    "charts": Words("预测扇形图", "Fan charts"),
    "effect": Words(
        "规划的效果（与反事实配对）", "The programme's effect (paired with its counterfactual)"
    ),
    "effect_note": Words(
        "同一随机数下，本情景减去其反事实（规划前的政策组合）；中位数与90%区间。",
        "This scenario minus its counterfactual (the pre-plan policy mix) on the same draws; "
        "median and 90% band.",
    ),
    "indicator": Words("指标", "indicator"),
    "effect_col": Words("2020年效果", "effect in 2020"),
    "budget": Words("各项资金的使用", "Use of each grant line's money"),
    "instrument": Words("政策工具", "instrument"),
    "allocated": Words("安排", "allocated"),
    "committed": Words("承诺（中位数）", "committed (median)"),
    "paid": Words("拨付（中位数）", "paid (median)"),
    "paid_share": Words("拨付比例", "share paid"),
    "all_lines": Words("合计", "all lines"),
    "assumptions": Words("结论所依赖的假设", "What the answer rests on"),
    "parameter": Words("参数", "parameter"),
    "source": Words("先验来源", "prior's source"),
    "sd_ratio": Words("后验/先验标准差", "posterior / prior sd"),
    "moved": Words("数据是否约束", "moved by the data"),
    "yes": Words("是", "yes"),
    "no": Words("否（仅凭假设）", "no (assumption only)"),
    "share_note": Words(
        "2020年规划效果的离散度中来自行为参数的比例：",
        "Share of the spread of the programme's 2020 effect that comes from the behavioural "
        "parameters: ",
    ),
    "no_sample": Words(
        "本次运行未使用校准参数样本：参数不确定性未计入区间。",
        "This run used no calibrated parameter sample: the intervals leave out the parameters' "
        "uncertainty.",
    ),
    "caveats": Words("注意事项", "Caveats"),
    "replicates": Words("重复模拟次数", "replicates"),
    "seed": Words("随机种子", "seed"),
    "model": Words("模型版本", "model version"),
    "scenario_file": Words("情景文件", "scenario file"),
    "compare": Words("情景比较", "Scenario comparison"),
    "scenario": Words("情景", "scenario"),
    "diff": Words(
        "与基准情景之差：中位数 [90%区间]", "difference from the reference: median [90%]"
    ),
    "frontier": Words("需要多少资金才能达标？", "What would it take?"),
    "smallest": Words(
        "达标概率≥0.5 / ≥0.9 所需最小资金倍数", "smallest scale for P >= 0.5 / >= 0.9"
    ),
}

#: what every answer of the model should be read with (calibration/VALIDATION.md)
CAVEATS: tuple[Words, ...] = (
    Words(
        "规划效果主要来自两项溢出效应（示范企业对同城同业企业的带动、创新中心溢出），其取值范围"
        "仅为先验假设，历史数据未能约束（calibration/VALIDATION.md）。",
        "Most of the programme's effect comes from two spillovers (demonstration firms on their "
        "peers, innovation centres on their sector) whose ranges are assumptions no data "
        "constrains yet (calibration/VALIDATION.md).",
    ),
    Words(
        "数控化率历史数据为全国数据（代用）；战略性新兴产业占比只有一个观测值；制造业增加值历史"
        "为推算值。",
        "The CNC rate's history is the national series (a proxy); the SEI share has one "
        "observation; manufacturing VA history is derived from GDP and ratios.",
    ),
    Words(
        "技术改造项目的申请几乎全部获批，而实际申报往往需要排队；资金拨付比例可能被高估或低估。",
        "The model's retrofit call funds nearly every application, where real calls are "
        "rationed: the share of money paid may be off in either direction.",
    ),
    Words(
        "统计口径可能调整（规模以上企业门槛、目录修订），2015年以后的数据不参与校准。",
        "Statistical definitions change (the above-scale threshold, catalogue revisions); no "
        "figure after 2015 is used in the calibration.",
    ),
)

#: the words of the evidence chart (:mod:`mfgplan.report.evidence_chart`)
EVIDENCE: dict[str, Words] = {
    "title": Words(
        "已发表的估计与模型的虚拟实验", "Published estimates and the model's virtual experiments"
    ),
    "ratio": Words("相对于已发表值（=1）", "relative to the published value (= 1)"),
    "simulated": Words("模拟 5-95%与中位数", "simulated 5-95% and median"),
    "published": Words("已发表值及区间", "published value and interval"),
    "agreement": Words(
        "结论一致的重复模拟比例 %", "replicates agreeing with the study's finding, %"
    ),
    "values": Words("数值", "values"),
    "signs": Words("方向与显著性", "signs and significance"),
}

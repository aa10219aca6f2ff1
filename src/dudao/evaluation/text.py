"""One-line-per-unit plain-text summaries of evaluation results (the CLI without ``--json``)."""

from __future__ import annotations


def _verdict(passed) -> str:
    return {True: "达标", False: "未达标", None: "无数据"}[passed]


def describe(result: dict) -> list[str]:
    lines = [f"{result['name']} · {result['period_name']} · {result['org']['name']}"]
    scheme = result["scheme"]
    if scheme == "balanced" and "school" in result:
        s = result["school"]
        lines.append(f"{s['name']}（{s['level_name']}）：{s['met_count']}/7 项达标，{_verdict(s['passed'])}")
        lines += [f"  {r['name']}：{r['value']} / 标准 {r['standard']:g}" for r in s["indicators"] if not r["met"]]
    elif scheme == "balanced":
        for d in result["districts"]:
            cvs = "；".join(
                f"{lv['name']}差异系数最大 {max((c['cv'] or 0) for c in lv['cv']):.3f}" for lv in d["levels"].values()
            )
            lines.append(f"{d['name']}：{_verdict(d['passed'])}（{cvs}；待补短板学校 {len(d['schools_failed'])} 所）")
    elif scheme == "preschool":
        for d in [*result["districts"], *([result["city"]] if "city" in result else [])]:
            core = "，".join(f"{r['name']} {r['value']:.2f}%" for r in d["core"] if r["value"] is not None)
            lines.append(f"{d['name']}：{_verdict(d['passed'] if d['kindergartens'] else None)}（{core}）")
    elif scheme == "hei":
        for u in result["universities"]:
            flag = "  ⚑约谈" if u["flags"] else ""
            lines.append(f"{u['name']}：{u['class_name']} 第 {u['rank']} 名，综合得分 {u['score']:.2f}{flag}")
    elif scheme == "district_duty":
        for d in result["districts"]:
            open_items = sum(r["status"] != "closed" for r in d["rectifications"])
            grade = d["grade"] or "评分未完成"
            lines.append(f"{d['name']}：{d['total']:.2f} 分，{grade}；未销号整改 {open_items} 项")
    elif scheme == "thematic":
        for t in result["themes"]:
            rates = "，".join(f"{i['text']} {i['rate']:.1f}%" for i in t["city"]["items"] if i["rate"] is not None)
            visited = t["city"]["schools"]
            lines.append(f"{t['name']}：督导 {visited} 所学校；{rates}；待整改 {t['follow_ups']['open']} 项")
    return lines

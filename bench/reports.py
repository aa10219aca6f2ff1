"""School report benchmark (#15 point 4): core-seconds per school PDF for each renderer considered, where they go,
and reports/s for 1 and N workers.

    python bench/reports.py                        # `dudao demo` in a temp DUDAO_VAR_DIR, 6 schools, N = cores
    python bench/reports.py --var-dir /tmp/x       # reuse (or create) a demo database there
    python bench/reports.py --schools 12 --workers 4 --no-variants

Side by side in one run, on the demo's 2020 school reports (published snapshots, as the batch prints them):
  * stages    — core-seconds (``time.process_time``: CPU of this process, every thread) per school PDF, split into
                build (``reports.builder.build``), charts (``Chart.png``: matplotlib PNGs) and the PDF stage of each
                renderer on the same report: Typst (``reports.typeset``, what the product prints with) and WeasyPrint
                (``render.to_html`` + ``dudao.documents.html_to_pdf``, the HTML printed, what it printed with before);
                the first school is a warm-up (imports, font indexing) and is not counted;
  * variants  — the WeasyPrint PDF stage with cheap tunings, each on the same HTML, best of ``--repeat``, interleaved
                so none profits from a warmer cache (why tuning WeasyPrint was not enough), and chart drawing
                variants;
  * workers   — reports/s (build + charts + Typst PDF, as ``render.to_pdf``) with 1 worker and with N worker
                processes (spawned, each warmed up first), and the speedup ratio (target ≥ 0.8 × N);
  * profile   — cProfile of one school PDF, the top time sinks.
Targets: ≤ 0.36 core-s per school PDF (3,300 school reports in 10 minutes on 2 cores); speedup ≥ 0.8 × N.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing
import os
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

TARGET_CORE_S = 0.36


def setup_django(var_dir: str | None) -> None:
    os.environ["DUDAO_VAR_DIR"] = var_dir or tempfile.mkdtemp(prefix="dudao-bench-reports-")
    os.environ.pop("DUDAO_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dudao.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from dudao.demo.load import is_loaded

    if not is_loaded():
        started = time.perf_counter()
        call_command("demo", verbosity=0, stdout=io.StringIO())
        print(f"(`dudao demo` loaded in {time.perf_counter() - started:.1f} s into {os.environ['DUDAO_VAR_DIR']})")


def school_ids(year: str, limit: int) -> list[int]:
    from dudao.collection import selectors
    from dudao.orgs import selectors as orgs
    from dudao.orgs.vocabulary import Level
    from dudao.portal import publishing

    period = selectors.period(year)
    found = []
    for district in orgs.districts():
        for school in orgs.children(district, [Level.SCHOOL]):
            if publishing.school_is_approved(school, period):
                found.append(school.pk)
    # spread over districts: every k-th school, so one district's data does not stand for all
    step = max(1, len(found) // limit)
    return found[::step][:limit]


def _load(pk: int, year: str):
    from dudao.collection import selectors
    from dudao.orgs.models import OrgUnit  # bench only: read the unit by id

    return OrgUnit.objects.get(pk=pk), selectors.period(year)


def cpu(fn):
    """(result, core-seconds of this process — all its threads — spent in fn)."""
    start = time.process_time()
    result = fn()
    return result, time.process_time() - start


def stages(pk: int, year: str) -> dict:
    from dudao.documents import html_to_pdf
    from dudao.reports.builder import Chart, build
    from dudao.reports.render import to_html
    from dudao.reports.typeset import to_pdf as typeset

    org, period = _load(pk, year)
    report, t_build = cpu(lambda: build(org, period))
    charts = [b for s in report.sections for b in s.blocks if isinstance(b, Chart)]
    _, t_charts = cpu(lambda: [c.png for c in charts])
    pdf, t_typst = cpu(lambda: typeset(report))
    html, t_html = cpu(lambda: to_html(report))
    weasy, t_weasy = cpu(lambda: html_to_pdf(html))
    return {
        "build": t_build,
        "charts": t_charts,
        "typst": t_typst,
        "html": t_html,
        "weasyprint": t_weasy,
        "n_charts": len(charts),
        "bytes": len(pdf),
        "weasy_bytes": len(weasy),
        "report": report,
        "html_text": html,
    }


# --- PDF stage variants (each takes the report's HTML, returns PDF bytes) --------------------------------------------


def _variants() -> dict:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    shared_fc = FontConfiguration()
    image_cache: dict = {}
    css_cache: dict[str, CSS] = {}
    style_re = re.compile(r"<style>(.*?)</style>", re.S)

    def baseline(html):
        return HTML(string=html).write_pdf()

    def shared_fonts(html):
        return HTML(string=html).write_pdf(font_config=shared_fc)

    def preparsed_css(html):
        css_text = style_re.search(html).group(1)
        css = css_cache.get(css_text)
        if css is None:
            css = css_cache[css_text] = CSS(string=css_text, font_config=shared_fc)
        return HTML(string=style_re.sub("", html, count=1)).write_pdf(stylesheets=[css], font_config=shared_fc)

    def uncompressed(html):
        return HTML(string=html).write_pdf(uncompressed_pdf=True)

    def optimize_images(html):
        return HTML(string=html).write_pdf(optimize_images=True)

    def image_cache_opt(html):
        return HTML(string=html).write_pdf(cache=image_cache)

    def hints(html):
        return HTML(string=html).write_pdf(presentational_hints=True)

    def full_fonts(html):
        return HTML(string=html).write_pdf(full_fonts=True)

    def no_gc(html):
        import gc

        gc.disable()  # what a batch worker could do around one render (gc.collect() between reports)
        try:
            return HTML(string=html).write_pdf()
        finally:
            gc.enable()

    def all_cheap(html):
        css_text = style_re.search(html).group(1)
        css = css_cache.get(css_text)
        if css is None:
            css = css_cache[css_text] = CSS(string=css_text, font_config=shared_fc)
        return HTML(string=style_re.sub("", html, count=1)).write_pdf(
            stylesheets=[css], font_config=shared_fc, cache=image_cache
        )

    return {
        "baseline (html_to_pdf)": baseline,
        "shared FontConfiguration": shared_fonts,
        "pre-parsed CSS + shared fonts": preparsed_css,
        "uncompressed_pdf=True": uncompressed,
        "optimize_images=True": optimize_images,
        "image cache dict shared": image_cache_opt,
        "presentational_hints=True": hints,
        "full_fonts=True (no subsetting)": full_fonts,
        "cyclic GC off during the render": no_gc,
        "shared fonts + CSS + image cache": all_cheap,
    }


def chart_variants(report) -> dict:
    """Chart drawing: PNG at 150 dpi (shipped), 100 dpi, SVG; timed on the report's charts."""
    import matplotlib.pyplot as plt

    from dudao.reports import charts

    def draw(fmt: str, dpi: int):
        def run():
            original = charts._png

            def png(fig):
                buffer = io.BytesIO()
                fig.savefig(buffer, format=fmt, dpi=dpi, bbox_inches="tight")
                plt.close(fig)
                return buffer.getvalue()

            charts._png = png
            try:
                out = []
                for c in [b for s in report.sections for b in s.blocks if type(b).__name__ == "Chart"]:
                    out.append(charts.pie(c.parts) if c.kind == "pie" else charts.trend(c.years, c.series, c.decimals))
                return out
            finally:
                charts._png = original

        return run

    return {"PNG 150 dpi (shipped)": draw("png", 150), "PNG 100 dpi": draw("png", 100), "SVG": draw("svg", 72)}


def best_of(fn, repeat: int) -> tuple[object, float]:
    best, result = float("inf"), None
    for _ in range(repeat):
        result, t = cpu(fn)
        best = min(best, t)
    return result, best


# --- workers ----------------------------------------------------------------------------------------------------------


def _render_one(pk: int, year: str) -> int:
    from dudao.reports.builder import build
    from dudao.reports.render import to_pdf

    org, period = _load(pk, year)
    return len(to_pdf(build(org, period)))


def _worker(pks, year, rounds, barrier, out):
    import django

    django.setup()  # a fresh interpreter (spawned): DUDAO_VAR_DIR and the settings module come from the environment
    _render_one(pks[0], year)  # warm-up: fonts, templates
    barrier.wait()
    start = time.perf_counter()
    cpu_start = time.process_time()
    n = 0
    for _ in range(rounds):
        for pk in pks:
            _render_one(pk, year)
            n += 1
    out.put((start, time.perf_counter(), n, time.process_time() - cpu_start))


def throughput(pks: list[int], year: str, workers: int, rounds: int) -> dict:
    """Every worker renders the same school list `rounds` times (as a batch of workers × len(pks) × rounds reports);
    wall time from the common start after warm-up to the last worker's end.

    Workers are spawned, not forked, as ``dudao render_batch`` starts them: Typst's thread pool in this process
    (started by the stages above) would not survive a fork."""
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(workers), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(pks, year, rounds, barrier, out)) for _ in range(workers)]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    wall = max(r[1] for r in results) - min(r[0] for r in results)
    n = sum(r[2] for r in results)
    return {"reports": n, "wall": wall, "per_s": n / wall, "core_s": sum(r[3] for r in results) / n}


# --- main -------------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--var-dir", default=None, help="DUDAO_VAR_DIR holding (or to receive) the demo database")
    parser.add_argument("--year", default="2020")
    parser.add_argument("--schools", type=int, default=6, help="school reports measured (plus one warm-up)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="N worker processes (default: cores)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds over the school list per worker")
    parser.add_argument("--repeat", type=int, default=3, help="best of N for the variants")
    parser.add_argument("--no-variants", action="store_true", help="skip the WeasyPrint and chart variants")
    args = parser.parse_args()
    setup_django(args.var_dir)

    pks = school_ids(args.year, args.schools + 1)
    warm, measured = pks[0], pks[1:]
    stages(warm, args.year)  # warm-up, not counted
    rows = [stages(pk, args.year) for pk in measured]
    n = len(rows)
    keys = ("build", "charts", "typst", "html", "weasyprint", "n_charts", "bytes", "weasy_bytes")
    mean = {k: sum(r[k] for r in rows) / n for k in keys}
    common = mean["build"] + mean["charts"]
    print(
        f"School reports ({args.year}, `dudao demo`): {n} schools measured after 1 warm-up; per report "
        f"{mean['n_charts']:.1f} charts; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print("Core-seconds per school PDF (time.process_time, mean), each renderer on the same reports:")
    print(f"  {'build (reports.builder.build)':40s} {mean['build']:6.3f} s")
    print(f"  {'charts (matplotlib PNG)':40s} {mean['charts']:6.3f} s")
    for label, stage, size in (
        ("Typst (reports.typeset) — shipped", mean["typst"], mean["bytes"]),
        ("WeasyPrint (to_html + html_to_pdf)", mean["html"] + mean["weasyprint"], mean["weasy_bytes"]),
    ):
        total = common + stage
        print(
            f"  {label:40s} {stage:6.3f} s  → per school PDF {total:6.3f} s, total / target = "
            f"{total / TARGET_CORE_S:.2f} (target ≤ {TARGET_CORE_S} s), {size / 1024:.0f} KB"
        )
    print(
        f"  Typst vs WeasyPrint, PDF stage: × {mean['typst'] / (mean['html'] + mean['weasyprint']):.2f}; "
        f"whole school PDF: × {(common + mean['typst']) / (common + mean['html'] + mean['weasyprint']):.2f}"
    )
    if args.no_variants:
        _workers_and_profile(args, measured)
        return

    # variants of the PDF stage, on the same HTML, interleaved, best of --repeat
    variants = _variants()
    sample = rows[: min(3, n)]
    for v in variants.values():  # warm each once (font config, caches) so the first variant pays no extra
        v(sample[0]["html_text"])
    t_var = {name: 0.0 for name in variants}
    sizes = {name: 0 for name in variants}
    for r in sample:
        for name, v in variants.items():
            pdf, t = best_of(lambda v=v, r=r: v(r["html_text"]), args.repeat)
            t_var[name] += t / len(sample)
            sizes[name] += len(pdf) // len(sample)
    base = t_var["baseline (html_to_pdf)"]
    print(f"PDF stage variants (WeasyPrint, same HTML, {len(sample)} schools, best of {args.repeat}):")
    for name, t in t_var.items():
        print(f"  {name:38s} {t:6.3f} s  × {t / base:4.2f}   {sizes[name] / 1024:7.0f} KB")

    cv = chart_variants(sample[0]["report"])
    t_cv = {}
    for name, fn in cv.items():
        _, t_cv[name] = best_of(fn, args.repeat)
    print(f"Chart variants (one report's {sample[0]['n_charts']} charts, best of {args.repeat}):")
    for name, t in t_cv.items():
        print(f"  {name:38s} {t:6.3f} s  × {t / t_cv['PNG 150 dpi (shipped)']:4.2f}")
    keys = [
        repr((c.kind, c.years, c.series, c.parts))
        for r in rows
        for s in r["report"].sections
        for c in s.blocks
        if type(c).__name__ == "Chart"
    ]
    print(
        f"  identical charts across the {n} reports: {len(keys) - len(set(keys))} of {len(keys)} "
        f"(what a cross-report chart cache could save)"
    )

    _workers_and_profile(args, measured)


def _workers_and_profile(args, measured: list[int]) -> None:
    # workers
    one = throughput(measured, args.year, 1, args.rounds)
    many = throughput(measured, args.year, args.workers, args.rounds)
    speedup = many["per_s"] / one["per_s"]
    print(f"Throughput (build + charts + Typst PDF, spawned workers, after warm-up; {os.cpu_count()} cores here):")
    print(f"  1 worker   {one['per_s']:6.2f} reports/s   ({one['reports']} reports, {one['core_s']:.3f} core-s each)")
    print(
        f"  {args.workers} workers  {many['per_s']:6.2f} reports/s   ({many['reports']} reports, "
        f"{many['core_s']:.3f} core-s each)"
    )
    print(f"  speedup {speedup:.2f} = {speedup / args.workers:.2f} × N  (target ≥ 0.8 × N)")
    print(f"  3,300 school reports at {many['per_s']:.2f}/s: {3300 / many['per_s'] / 60:.1f} min (target 10 min)")

    # profile one school PDF
    profiler = cProfile.Profile()
    profiler.enable()
    _render_one(measured[0], args.year)
    profiler.disable()
    stats = pstats.Stats(profiler)
    areas: dict[str, float] = {}
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        areas[_area(filename)] = areas.get(_area(filename), 0.0) + tottime
    whole = sum(areas.values())
    print("Profile of one school PDF (cProfile, own time by area; the profiler inflates many small calls):")
    for area, t in sorted(areas.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {area:34s} {t:6.3f} s  {t / whole:5.0%}")
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(12)
    print("  top functions by own time:")
    lines = stream.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    for line in lines[start : start + 13]:
        print("  " + line.replace(str(ROOT / "src") + "/", "").replace(sys.prefix, "…")[:150])


def _area(filename: str) -> str:
    """Group a profiled file into the stage it belongs to (WeasyPrint by sub-package: css, layout, draw, pdf, …)."""
    if "/weasyprint/" in filename:
        sub = filename.split("/weasyprint/", 1)[1].split("/")
        return "weasyprint/" + (sub[0] if len(sub) > 1 else sub[0].removesuffix(".py"))
    for name in ("matplotlib", "PIL", "django", "fontTools", "pydyf", "tinycss2", "cssselect2", "html5lib"):
        if f"/{name}/" in filename:
            return name
    if "dudao" in filename:
        return "dudao"
    if filename.startswith("<built-in") or filename == "~":
        return "built-ins (C and Rust: typst, zlib, PIL codecs)"
    return "other Python"


if __name__ == "__main__":
    main()

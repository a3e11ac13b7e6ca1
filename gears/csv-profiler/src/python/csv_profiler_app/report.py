"""The profile as files: `<stem>_profile.json` and a self-contained `<stem>_profile.html`, plus the
short summary for the input file's info.

The HTML follows what users know from profiling tools (ydata-profiling and the like): an overview
with the dataset's figures and an alerts list first, then one section per column with its figures
beside its histogram (or its most frequent values), then the correlation matrix. It is a single
file that works offline and from an e-mail attachment: inline CSS, histograms as embedded PNGs, no
external URL and no JavaScript. Everything taken from the data (column names, values, the file name)
is HTML-escaped.

Kept apart from the profiling so that the statistics never depend on how they are shown;
matplotlib is imported only when a histogram is drawn, not when a table is profiled.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
from base64 import b64encode
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path
from typing import Any

from polygear.core.jsonfile import write_text_atomic
from polygear.core.naming import OutputNames

from csv_profiler_app.alerts import NUMERIC_TYPES, Alert, find_alerts, percent

# The order types are listed in (columns.TYPES, repeated so that rendering never imports the profiler).
_TYPE_ORDER = ("integer", "float", "boolean", "date", "string")


def metadata_summary(profile: dict[str, Any]) -> dict[str, Any]:
    """The few numbers worth attaching to the input file's info: size, shape and types."""
    return {
        "rows": profile["rows"],
        "columns": len(profile["columns"]),
        "column_types": {c["name"]: c["type"] for c in profile["columns"]},
        "missing_cells": sum(c["missing"] for c in profile["columns"]),
    }


def write_report(profile: dict[str, Any], out_dir: Path, stem: str) -> list[Path]:
    """Write `<stem>_profile.json` and a self-contained `<stem>_profile.html` into `out_dir`.

    Each is written to a temporary name and renamed (and the run publishes its outputs only when
    it succeeded), so a crash never leaves a half-written report that looks finished.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # The stem comes from the input's name: `..csv` has the stem "." (a hidden `._profile.json`).
    names = OutputNames()
    documents = [
        (
            out_dir / names.allocate(f"{stem}_profile.json"),
            json.dumps(profile, indent=2, allow_nan=False, ensure_ascii=False) + "\n",
        ),
        (out_dir / names.allocate(f"{stem}_profile.html"), render_html(profile)),
    ]
    for final, text in documents:
        write_text_atomic(final, text)
    return [final for final, _ in documents]


# Narrow screens (or a narrow window) stack each column's histogram under its figures.
_CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f4f6f9;color:#1f2933;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
a{color:#1d5fa8;text-decoration:none}
a:hover{text-decoration:underline}
.top{background:#1f3a5f;color:#fff;padding:1.1rem 0 0}
.top h1{margin:0 0 .2rem;font-size:1.55rem;font-weight:600;letter-spacing:-.01em}
.top .sub{margin:0;color:#c8d5e6;font-size:.92rem}
.top nav{display:flex;gap:1.6rem;margin-top:.9rem}
.top nav a{color:#e4ecf6;padding:.45rem 0;border-bottom:3px solid transparent;font-weight:500}
.top nav a:hover{border-bottom-color:#8fb5e3;text-decoration:none}
.wrap{max-width:76rem;margin:0 auto;padding:0 1.5rem}
main.wrap{padding-top:1.5rem;padding-bottom:2rem}
.card{background:#fff;border:1px solid #e1e6ec;border-radius:8px;padding:1.1rem 1.4rem 1.3rem;
margin:0 0 1.25rem;box-shadow:0 1px 2px rgba(16,24,40,.04)}
.card h2{margin:0 0 .8rem;font-size:1.2rem;font-weight:600}
h3{margin:.2rem 0 .5rem;font-size:.78rem;font-weight:600;text-transform:uppercase;letter-spacing:.06em;
color:#616e7c}
.grid2{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:.5rem 2.5rem;align-items:start}
.var-body{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1.1fr);gap:1.5rem 2.5rem;align-items:start}
@media (max-width:56rem){.grid2,.var-body{grid-template-columns:minmax(0,1fr)}}
@media (max-width:40rem){.alerts li{flex-direction:column;gap:.2rem}.alerts .badge{flex:none}}
table{border-collapse:collapse}
.figures{width:100%}
.figures th,.figures td{padding:.3rem .25rem;border-bottom:1px solid #edf0f3;vertical-align:top}
.figures th{text-align:left;font-weight:500;color:#52606d;white-space:nowrap;padding-right:1rem}
.figures td{text-align:right;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.figures tr:last-child th,.figures tr:last-child td{border-bottom:0}
.listing{width:100%}
.listing th,.listing td{padding:.35rem .6rem;border-bottom:1px solid #edf0f3;text-align:left;vertical-align:middle}
.listing thead th{font-size:.74rem;text-transform:uppercase;letter-spacing:.05em;color:#616e7c;font-weight:600;
border-bottom:2px solid #dfe4ea}
.listing td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.listing tbody tr:hover{background:#f8fafc}
.approx{color:#9a6700}
.muted{color:#7b8794}
.note{color:#7b8794;font-size:.85rem;margin:.5rem 0 0}
.badge{display:inline-block;padding:.12rem .5rem;border-radius:999px;font-size:.7rem;font-weight:600;
letter-spacing:.04em;text-transform:uppercase;white-space:nowrap;vertical-align:.08em;border:1px solid transparent}
.a-duplicates{background:#e6e9fd;color:#3538a8;border-color:#c9cef9}
.a-all_missing{background:#b42318;color:#fff}
.a-missing{background:#fdecea;color:#b42318;border-color:#f8c9c4}
.a-constant{background:#fff4dc;color:#93510a;border-color:#f6d79b}
.a-high_cardinality{background:#f3e8fd;color:#6b21a8;border-color:#dfc5f7}
.a-skewed{background:#e3f0fd;color:#1e4f91;border-color:#bcd7f5}
.type{display:inline-block;padding:.1rem .45rem;border-radius:4px;font-size:.74rem;font-weight:600;
background:#eef1f4;color:#3e4c59;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.alerts{list-style:none;margin:0;padding:0}
.alerts li{display:flex;gap:.8rem;align-items:baseline;padding:.42rem 0;border-bottom:1px solid #edf0f3}
.alerts li:last-child{border-bottom:0}
.alerts .badge{flex:0 0 9.8rem;text-align:center}
.alerts code,.var-head h2 code{font-family:inherit;font-weight:600}
.ok{color:#2f7d4f;margin:0}
.count{display:inline-block;min-width:1.6rem;padding:0 .45rem;margin-left:.35rem;border-radius:999px;
background:#b42318;color:#fff;font-size:.8rem;text-align:center;vertical-align:.12em}
.count.zero{background:#2f7d4f}
.var-head{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;margin-bottom:.9rem;padding-bottom:.7rem;
border-bottom:1px solid #edf0f3}
.var-head h2{margin:0 .35rem 0 0;overflow-wrap:anywhere}
.chart{margin:0}
.chart img{display:block;width:100%;height:auto;max-width:44rem}
.chart figcaption{color:#7b8794;font-size:.82rem;margin-top:.25rem}
.freq{table-layout:fixed}
.freq td.v{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.freq .bar span{display:block;height:.8rem;border-radius:2px;background:#4c78a8;min-width:1px}
.freq tr.other .bar span{background:#b8c4d0}
.scroll{overflow-x:auto}
.corr td,.corr th{border:1px solid #e1e6ec;padding:.3rem .55rem;text-align:left}
.corr th{background:#f4f6f9;font-weight:500;white-space:nowrap}
.corr td.num{text-align:right;font-variant-numeric:tabular-nums}
footer{color:#7b8794;font-size:.82rem;text-align:center;padding:0 0 2rem}
"""


def _fmt(value: Any) -> str:
    """A figure as HTML text: integers with thousands separators, floats to 6 significant digits."""
    if value is None:
        return '<span class="muted">—</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return _float(value)
    return html.escape(str(value))


def _float(x: float) -> str:
    """Six significant digits, with thousands separators in the everyday range (12,345.7 not
    12345.7, to match the integers beside it), scientific notation outside it (1.5e-07, 3.2e+18)."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    magnitude = math.floor(math.log10(abs(x)))
    if not -4 <= magnitude < 15:
        return f"{x:.6g}"
    text = f"{x:,.{max(0, 5 - magnitude)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _anchor(index: int, name: str) -> str:
    """A fragment id per column: its position makes it unique, a slug of its name makes it readable."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    return f"col-{index}-{slug}" if slug else f"col-{index}"


def _distinct(col: dict[str, Any]) -> str:
    approx = col.get("distinct_exact", True) is False
    return ('<span class="approx" title="estimated (HyperLogLog)">≈</span> ' if approx else "") + _fmt(col["distinct"])


def _with_share(count: int, whole: int) -> str:
    return f'{_fmt(count)} <span class="muted">({percent(count, whole)})</span>'


def _badge(alert: Alert) -> str:
    return f'<span class="badge a-{alert.kind}">{_esc(alert.label)}</span>'


def _figures(rows: Iterable[tuple[str, str]]) -> str:
    """A two-column table of label / value; the values are HTML already."""
    body = "".join(f"<tr><th>{_esc(label)}</th><td>{value}</td></tr>" for label, value in rows)
    return f'<table class="figures">{body}</table>'


# ---------------------------------------------------------------------------------------------
# Histograms


def _histogram_png(hist: dict[str, Any]) -> str:
    """The histogram as a base64 PNG (drawn at 1.5x its displayed size, so it stays sharp on HiDPI)."""
    import matplotlib

    matplotlib.use("Agg")  # no display in a gear container
    from matplotlib.figure import Figure  # the object API: no pyplot global state
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    fig = Figure(figsize=(6.0, 2.7), dpi=144)
    ax = fig.add_subplot()
    edges = hist["edges"]
    widths = [b - a for a, b in pairwise(edges)]
    ax.bar(edges[:-1], hist["counts"], width=widths, align="edge", color="#4c78a8", edgecolor="white", linewidth=0.6)
    ax.set_ylabel("rows (estimated)" if hist["sampled"] else "rows", fontsize=9, color="#52606d")
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ticks = FuncFormatter(lambda value, _: _fmt(float(value)))  # 10,000 like the tables, not 10000
    ax.xaxis.set_major_formatter(ticks)
    ax.yaxis.set_major_formatter(ticks)
    ax.tick_params(labelsize=9, colors="#52606d", length=3)
    ax.grid(axis="y", color="#e4e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color("#9aa5b1")
    ax.margins(x=0.01)
    fig.tight_layout(pad=0.4)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return b64encode(buffer.getvalue()).decode("ascii")


def _histogram_html(col: dict[str, Any]) -> str:
    hist = col.get("histogram")
    if not hist or not hist.get("counts") or any(e is None for e in hist["edges"]):
        return '<p class="note">No histogram: the values could not be binned.</p>'
    alt = _esc(f"histogram of {col['name']}")
    caption = f"Histogram, {len(hist['counts'])} bins"
    if hist.get("sampled"):
        caption += ", scaled from a uniform sample of the values"
    return (
        f'<figure class="chart"><img src="data:image/png;base64,{_histogram_png(hist)}" alt="{alt}">'
        f"<figcaption>{_esc(caption)}</figcaption></figure>"
    )


# ---------------------------------------------------------------------------------------------
# Per-column sections


def _common_rows(col: dict[str, Any]) -> list[tuple[str, str]]:
    cells = col["non_missing"] + col["missing"]
    rows = [
        ("Non-missing", _with_share(col["non_missing"], cells)),
        ("Missing", _with_share(col["missing"], cells)),
        ("Distinct", _distinct(col)),
    ]
    if col["non_missing"]:
        rows.append(("Distinct share", percent(col["distinct"], col["non_missing"])))
    return rows


def _numeric_tables(col: dict[str, Any]) -> str:
    rows = _common_rows(col)
    rows += [("Mean", _fmt(col.get("mean"))), ("Std deviation", _fmt(col.get("std")))]
    if "skewness" in col:
        rows.append(("Skewness", _fmt(col["skewness"])))
    q = col.get("quantiles") or {}
    spread = [("Minimum", _fmt(col.get("min")))]
    spread += [("Median (p50)" if k == "p50" else k, _fmt(v)) for k, v in q.items()]
    spread.append(("Maximum", _fmt(col.get("max"))))
    if isinstance(col.get("min"), int | float) and isinstance(col.get("max"), int | float):
        spread.append(("Range", _fmt(col["max"] - col["min"])))
    if q.get("p25") is not None and q.get("p75") is not None:
        spread.append(("Interquartile range", _fmt(q["p75"] - q["p25"])))
    note = ""
    if col.get("quantiles_exact") is False:
        note = '<p class="note">Quantiles are estimated from a uniform sample of the values.</p>'
    return (
        f'<div class="grid2"><div><h3>Statistics</h3>{_figures(rows)}</div>'
        f"<div><h3>Quantiles</h3>{_figures(spread)}{note}</div></div>"
    )


def _other_tables(col: dict[str, Any]) -> str:
    rows = _common_rows(col)
    if col["type"] == "date":
        rows += [("Earliest", _fmt(col.get("min"))), ("Latest", _fmt(col.get("max")))]
    return f"<h3>Statistics</h3>{_figures(rows)}"


def _frequency_html(col: dict[str, Any]) -> str:
    """The most frequent values with bars (relative to the commonest), and what the list leaves out."""
    top = col.get("top") or []
    if not top:
        return '<p class="note">No values: every cell is missing.</p>' if not col["non_missing"] else ""
    present = col["non_missing"]
    largest = max(t["count"] for t in top) or 1
    exact = col.get("top_exact", True)
    rows = [(_esc(t["value"]), t["count"], f'title="{_esc(t["value"])}"', "") for t in top]
    shown = sum(t["count"] for t in top)
    if exact and shown < present:
        others = col["distinct"] - len(top)
        rows.append((f"Other values ({others:,})", present - shown, "", ' class="other"'))
        largest = max(largest, present - shown)
    body = "".join(
        f'<tr{cls}><td class="v" {title}>{label}</td>'
        f'<td class="bar"><span style="width:{100 * count / largest:.1f}%"></span></td>'
        f'<td class="n">{_fmt(count)}</td><td class="n muted">{percent(count, present)}</td></tr>'
        for label, count, title, cls in rows
    )
    note = ""
    if not exact:
        error = col.get("top_count_error", 0)
        note = f'<p class="note">Approximate counts: each may be up to {_fmt(error)} too low.</p>'
    return (
        '<h3>Most frequent values</h3><table class="listing freq"><colgroup><col style="width:36%"><col>'
        '<col style="width:5.5rem"><col style="width:5.5rem"></colgroup><thead><tr><th>value</th><th></th>'
        f'<th class="n">count</th><th class="n">share</th></tr></thead><tbody>{body}</tbody></table>{note}'
    )


def _column_html(index: int, col: dict[str, Any], alerts: list[Alert]) -> str:
    numeric = col["type"] in NUMERIC_TYPES and "quantiles" in col
    figures = _numeric_tables(col) if numeric else _other_tables(col)
    chart = _histogram_html(col) if numeric else _frequency_html(col)
    badges = " ".join(_badge(a) for a in alerts)
    return (
        f'<section class="card variable" id="{_anchor(index, col["name"])}">'
        f'<div class="var-head"><h2><code>{_esc(col["name"])}</code></h2>'
        f'<span class="type">{_esc(col["type"])}</span> {badges}</div>'
        f'<div class="var-body"><div class="stats">{figures}</div><div>{chart}</div></div></section>'
    )


# ---------------------------------------------------------------------------------------------
# Overview, alerts, variables index, correlations


def _dataset_rows(profile: dict[str, Any]) -> list[tuple[str, str]]:
    rows, columns = profile["rows"], profile["columns"]
    cells = rows * len(columns)
    missing = sum(c["missing"] for c in columns)
    out = [
        ("Source", _esc(profile["source"])),
        ("Rows", _fmt(rows)),
        ("Columns", _fmt(len(columns))),
        ("Cells", _fmt(cells)),
        ("Missing cells", _with_share(missing, cells)),
    ]
    duplicates = profile.get("duplicate_rows")
    if duplicates is None:
        out.append(("Duplicate rows", '<span class="muted">not counted</span>'))
    else:
        approx = "" if duplicates.get("exact", True) else '<span class="approx" title="estimated">≈</span> '
        out.append(("Duplicate rows", approx + _with_share(duplicates["count"], rows)))
    if profile.get("blank_lines_skipped"):
        out.append(("Blank lines skipped", _fmt(profile["blank_lines_skipped"])))
    return out


def _type_rows(profile: dict[str, Any]) -> list[tuple[str, str]]:
    counts = Counter(c["type"] for c in profile["columns"])
    order = [t for t in _TYPE_ORDER if t in counts] + sorted(t for t in counts if t not in _TYPE_ORDER)
    return [(t, _fmt(counts[t])) for t in order]


def _alerts_html(profile: dict[str, Any], alerts: list[Alert]) -> str:
    count_class = "count zero" if not alerts else "count"
    head = f'<h3 id="alerts">Alerts <span class="{count_class}">{len(alerts)}</span></h3>'
    if not alerts:
        return head + '<p class="ok">No alerts: no constant, mostly missing, identifier-like or skewed columns.</p>'
    items = []
    for a in alerts:
        if a.column is None:
            subject = "Dataset"
        else:
            name = profile["columns"][a.column]["name"]
            subject = f'<a href="#{_anchor(a.column, name)}"><code>{_esc(name)}</code></a>'
        items.append(f"<li>{_badge(a)}<span>{subject} {_esc(a.detail)}</span></li>")
    return head + f'<ul class="alerts">{"".join(items)}</ul>'


def _overview_html(profile: dict[str, Any], alerts: list[Alert]) -> str:
    return (
        '<section class="card" id="overview"><h2>Overview</h2><div class="grid2">'
        f"<div><h3>Dataset statistics</h3>{_figures(_dataset_rows(profile))}</div>"
        f"<div><h3>Column types</h3>{_figures(_type_rows(profile))}</div></div>"
        f'<div style="margin-top:1.2rem">{_alerts_html(profile, alerts)}</div></section>'
    )


def _variables_html(profile: dict[str, Any], by_column: dict[int, list[Alert]]) -> str:
    """An index of the columns, one line each, linking to their sections."""
    body = []
    for i, c in enumerate(profile["columns"]):
        cells = c["non_missing"] + c["missing"]
        badges = " ".join(_badge(a) for a in by_column.get(i, []))
        body.append(
            f'<tr><td class="n muted">{i + 1}</td><td><a href="#{_anchor(i, c["name"])}">{_esc(c["name"])}</a></td>'
            f'<td><span class="type">{_esc(c["type"])}</span></td><td class="n">{_fmt(c["non_missing"])}</td>'
            f'<td class="n">{percent(c["missing"], cells)}</td><td class="n">{_distinct(c)}</td><td>{badges}</td></tr>'
        )
    return (
        '<section class="card" id="variables"><h2>Columns</h2><div class="scroll"><table class="listing">'
        '<thead><tr><th class="n">#</th><th>column</th><th>type</th><th class="n">non-missing</th>'
        '<th class="n">missing</th><th class="n">distinct</th><th>alerts</th></tr></thead>'
        f'<tbody>{"".join(body)}</tbody></table></div></section>'
    )


def _correlation_html(corr: dict[str, Any], anchors: dict[str, str]) -> str:
    names = corr["columns"]
    if len(names) < 2:
        return '<p class="note">Fewer than two numeric columns: no correlations.</p>'
    head = "".join(f'<th><a href="#{anchors.get(n, "")}">{_esc(n)}</a></th>' for n in names)
    body = []
    for name, row in zip(names, corr["matrix"], strict=False):
        cells = []
        for r in row:
            if r is None:
                cells.append('<td class=num title="undefined">—</td>')
            else:
                # Blue for positive, red for negative; strength as opacity.
                rgb = "76,114,176" if r >= 0 else "196,78,82"
                cells.append(f'<td class=num style="background:rgba({rgb},{abs(r) * 0.6:.2f})">{r:.3f}</td>')
        body.append(f"<tr><th>{_esc(name)}</th>{''.join(cells)}</tr>")
    return f'<div class="scroll"><table class="corr"><tr><th></th>{head}</tr>{"".join(body)}</table></div>'


def _nav(alerts: int) -> str:
    return (
        f'<nav><a href="#overview">Overview</a><a href="#alerts">Alerts ({alerts})</a>'
        '<a href="#variables">Columns</a><a href="#correlations">Correlations</a></nav>'
    )


def render_html(profile: dict[str, Any]) -> str:
    """The whole report as one HTML document (deterministic: the same profile gives the same bytes)."""
    source = _esc(profile["source"])
    alerts = find_alerts(profile)
    by_column: dict[int, list[Alert]] = {}
    for a in alerts:
        if a.column is not None:
            by_column.setdefault(a.column, []).append(a)
    columns = profile["columns"]
    anchors = {c["name"]: _anchor(i, c["name"]) for i, c in enumerate(columns)}
    subtitle = f"{_fmt(profile['rows'])} rows &times; {_fmt(len(columns))} columns"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width,initial-scale=1">',
            f"<title>Profile of {source}</title><style>{_CSS}</style></head><body>",
            f'<header class="top"><div class="wrap"><h1>Profile of {source}</h1><p class="sub">{subtitle}</p>',
            _nav(len(alerts)) + "</div></header>",
            '<main class="wrap">',
            _overview_html(profile, alerts),
            _variables_html(profile, by_column),
            *(_column_html(i, c, by_column.get(i, [])) for i, c in enumerate(columns)),
            '<section class="card" id="correlations"><h2>Correlations (Pearson, pairwise complete rows)</h2>',
            _correlation_html(profile["correlation"], anchors),
            "</section></main>",
            "<footer>Generated by csv-profiler</footer></body></html>",
            "",
        ]
    )

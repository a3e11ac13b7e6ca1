"""The profile as files: `<stem>_profile.json` and a self-contained `<stem>_profile.html` (inline
CSS, one embedded PNG histogram per numeric column), plus the short summary for the input file's info.

Kept apart from the profiling so that the statistics never depend on how they are shown;
matplotlib is imported only when a histogram is drawn, not when a table is profiled.
"""

from __future__ import annotations

import html
import io
import json
from base64 import b64encode
from itertools import pairwise
from pathlib import Path
from typing import Any

from polygear.core.jsonfile import write_text_atomic
from polygear.core.naming import OutputNames


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
        (out_dir / names.allocate(f"{stem}_profile.html"), _render_html(profile)),
    ]
    for final, text in documents:
        write_text_atomic(final, text)
    return [final for final, _ in documents]


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:70em}
table{border-collapse:collapse;margin:.5em 0 1em}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
section{border-top:2px solid #ddd;margin-top:1.5em}
.flag{color:#a60;font-size:.9em}
"""


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.6g}"
    return html.escape(str(value))


def _histogram_png(hist: dict[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg")  # no display in a gear container
    from matplotlib.figure import Figure  # the object API: no pyplot global state

    fig = Figure(figsize=(5.0, 2.4), dpi=96)
    ax = fig.add_subplot()
    edges = hist["edges"]
    widths = [b - a for a, b in pairwise(edges)]
    ax.bar(edges[:-1], hist["counts"], width=widths, align="edge", color="#4c72b0", edgecolor="white", linewidth=0.5)
    ax.set_xlabel("value")
    ax.set_ylabel("rows (estimated)" if hist["sampled"] else "rows")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return b64encode(buffer.getvalue()).decode("ascii")


def _column_html(col: dict[str, Any]) -> str:
    name = html.escape(col["name"])
    rows = [
        ("type", html.escape(col["type"])),
        ("non-missing", _fmt(col["non_missing"])),
        ("missing", _fmt(col["missing"])),
        ("distinct", _fmt(col["distinct"]) + ("" if col["distinct_exact"] else ' <span class="flag">approx.</span>')),
    ]
    parts = [f"<section><h2>{name}</h2><table>"]
    if col["type"] in ("integer", "float"):
        rows += [(k, _fmt(col[k])) for k in ("min", "max", "mean", "std")]
        flag = "" if col["quantiles_exact"] else ' <span class="flag">from a sample</span>'
        rows += [(k, _fmt(v) + flag) for k, v in col["quantiles"].items()]
    elif col["type"] == "date":
        rows += [("min", _fmt(col["min"])), ("max", _fmt(col["max"]))]
    parts += [f"<tr><th>{k}</th><td class=num>{v}</td></tr>" for k, v in rows]
    parts.append("</table>")
    if col["type"] in ("integer", "float"):
        alt = html.escape(f"histogram of {col['name']}", quote=True)
        parts.append(f'<img src="data:image/png;base64,{_histogram_png(col["histogram"])}" alt="{alt}">')
    elif col.get("top"):
        flag = "" if col["top_exact"] else ' <span class="flag">(approximate counts)</span>'
        parts.append(f"<h3>Most frequent values{flag}</h3><table><tr><th>value</th><th>count</th></tr>")
        parts += [
            f"<tr><td>{html.escape(t['value'])}</td><td class=num>{_fmt(t['count'])}</td></tr>" for t in col["top"]
        ]
        parts.append("</table>")
    parts.append("</section>")
    return "\n".join(parts)


def _correlation_html(corr: dict[str, Any]) -> str:
    names = corr["columns"]
    if len(names) < 2:
        return "<p>Fewer than two numeric columns: no correlations.</p>"
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body = []
    for name, row in zip(names, corr["matrix"], strict=False):
        cells = []
        for r in row:
            if r is None:
                cells.append("<td class=num>—</td>")
            else:
                # Blue for positive, red for negative; strength as opacity.
                rgb = "76,114,176" if r >= 0 else "196,78,82"
                cells.append(f'<td class=num style="background:rgba({rgb},{abs(r) * 0.6:.2f})">{r:.3f}</td>')
        body.append(f"<tr><th>{html.escape(name)}</th>{''.join(cells)}</tr>")
    return f"<table><tr><th></th>{head}</tr>{''.join(body)}</table>"


def _render_html(profile: dict[str, Any]) -> str:
    source = html.escape(profile["source"])
    summary = metadata_summary(profile)
    overview = "".join(
        f"<tr><td>{html.escape(c['name'])}</td><td>{html.escape(c['type'])}</td>"
        f"<td class=num>{_fmt(c['non_missing'])}</td><td class=num>{_fmt(c['missing'])}</td>"
        f"<td class=num>{_fmt(c['distinct'])}{'' if c['distinct_exact'] else ' ≈'}</td></tr>"
        for c in profile["columns"]
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>Profile of {source}</title><style>{_CSS}</style></head><body>",
            f"<h1>Profile of {source}</h1>",
            (
                f"<p>{_fmt(summary['rows'])} rows, {_fmt(summary['columns'])} columns, "
                f"{_fmt(summary['missing_cells'])} missing cells.</p>"
            ),
            "<table><tr><th>column</th><th>type</th><th>non-missing</th><th>missing</th><th>distinct</th></tr>",
            overview,
            "</table>",
            *(_column_html(c) for c in profile["columns"]),
            "<section><h2>Correlations (Pearson, pairwise complete rows)</h2>",
            _correlation_html(profile["correlation"]),
            "</section></body></html>",
            "",
        ]
    )

"""report.html: one self-contained page that shows why each rep or hold got its verdict.

The page holds a header (exercise, source, duration, counts), the warnings, a table with one row per rep
or hold and one column per check (the value it judged against its threshold, and the margin), the cues
shown, a key-frame thumbnail per rep, and a plot per metric (:mod:`posecheck.sinks.plots`). Images are
inline base64 PNGs and the style sheet is inline: the page opens offline, with no script at all. Every
string from a file (spec labels, cue texts, the source path, warnings) is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import writing
from ..pipeline import HTML_NAME
from ..spec.schema import ExerciseSpec
from .changes import CheckValue, check_values
from .plots import (
    LegendItem, Results, check_colours, judged_texts, load_results, metric_pngs, plotted_metrics, rule_text,
)  # fmt: skip


#: Every sentence of the page (format strings; the values are escaped before they are put in).
TEXT: dict[str, Any] = {
    "title": "{name}: form report",
    "meta": "{source} · {duration:.1f} s · person found in {found} of {frames} frames",
    "spec": "spec: {path}",
    "reps": ("rep", "reps"),
    "reps_good": "{good} in good form, {faulty} faulty",
    "by_side": "{side} {count}",
    "holds": ("hold", "holds"),
    "no_holds": "No hold found: the position was never held long enough",
    "no_reps": "No rep counted",
    "hold_good": "{good:.1f} s of {target:.0f} s in good form",
    "warnings": "Warnings",
    "table": "Reps and checks",
    "table_hold": "Holds and checks",
    "table_note": "Each cell: the value the check judged in that rep or hold (at the rep's peak, or the worst "
    "frame during it) against the check's threshold, and by how much it passed or failed.",
    "col_rep": "Rep",
    "col_hold": "Hold",
    "col_side": "Side",
    "col_time": "Time",
    "col_good": "Good form",
    "col_verdict": "Verdict",
    "good": "good form",
    "faulty": "faulty",
    "margin": "{verdict} by {margin}",
    "judged": "{label} {value} vs {bound_name} {bound}",
    "brief": "outside by {margin}, too briefly to count",
    "unmeasured": "not measured",
    "failed_unmeasured": "failed",
    "relative": "{label} below its peak",
    "span": "{start:.1f}–{end:.1f} s",
    "cues": "Cues shown",
    "no_cues": "No cue was shown.",
    "keyframes": "Key frames (each rep at its peak)",
    "plots": "Metrics over time",
    "plots_note": "Shaded bands: where each check's value must stay (only over the reps or holds it judges). "
    "Green / red columns: reps and holds by verdict. Grey: no reliable pose. Purple: cues.",
    "footer": "Made by posecheck from report.json and frames.csv in this folder.",
}

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#222;margin:0;
background:#f5f6f8}
main{max-width:1240px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}
.meta{color:#555}.meta code{font-size:13px}
.stats{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0 0}
.stat{background:#fff;border:1px solid #dde;border-radius:8px;padding:8px 14px}
.stat b{font-size:20px;margin-right:4px}
.warn{background:#fff8e1;border:1px solid #f0c36d;border-radius:8px;padding:8px 14px;margin-top:16px}
.warn ul{margin:4px 0 0 18px;padding:0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}
th,td{border:1px solid #dde;padding:5px 8px;vertical-align:top;text-align:left}
th{background:#eef0f4;font-weight:600}th small{font-weight:400;color:#555;display:block}
th .sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px}
td.num{white-space:nowrap}
td.pass{background:#eaf6ec}td.fail{background:#fde8e8}td.brief{background:#fff6df}td.none{color:#888}
td b{display:block}td.fail b{color:#b71c1c}td.pass b{color:#1b5e20}td.brief b{color:#8a5a00}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-weight:600;font-size:12px;color:#fff}
.badge.good{background:#2e7d32}.badge.faulty{background:#c62828}
.faults{margin:3px 0 0;padding-left:16px}
.note{color:#555;font-size:13px;margin:4px 0 8px}
.cues{margin:0;padding-left:18px}.cues span{color:#7b3fa0;font-weight:600;margin-right:6px}
.thumbs{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;background:#fff;border:3px solid #ccc;border-radius:8px;padding:4px}
figure.good{border-color:#2e7d32}figure.faulty{border-color:#c62828}
figure img{display:block;height:180px;border-radius:4px}
figcaption{font-size:12px;max-width:240px;padding:3px 2px 0}
.plot{background:#fff;border:1px solid #dde;border-radius:8px;margin:0 0 12px;padding:4px}
.plot img{display:block;width:100%;height:auto}
.legend{list-style:none;margin:2px 8px 6px;padding:0;display:flex;flex-wrap:wrap;gap:4px 18px;font-size:12.5px}
.legend li{display:flex;align-items:center;gap:6px}
footer{color:#777;font-size:12px;margin-top:24px}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _png_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _applies(when: str, is_rep: bool) -> bool:
    return when == "always" or (when in ("peak", "rep")) == is_rep


def _rule(spec: ExerciseSpec, cid: str) -> str:
    """'hip line ≥ 165°, at the peak' (the column head of a check)."""
    check = spec.checks[cid]
    return f"{spec.metrics[check.metric].label or check.metric} {rule_text(check, spec.metrics[check.metric].kind)}"


def _cell(spec: ExerciseSpec, cid: str, cv: CheckValue | None, failed: bool) -> str:
    check = spec.checks[cid]
    kind = spec.metrics[check.metric].kind
    if cv is None:
        text = TEXT["failed_unmeasured"] if failed else TEXT["unmeasured"]
        return f'<td class="{"fail" if failed else "none"}">{_e(text)}</td>'
    label = spec.metrics[check.metric].label or check.metric
    if check.relative_to == "peak":
        label = TEXT["relative"].format(label=label)
    value, bound, margin = judged_texts(cv.value, cv.bound, kind, signed=check.relative_to == "peak")
    judged = TEXT["judged"].format(label=label, value=value, bound_name=cv.bound_name, bound=bound)
    if failed:
        css, head = "fail", TEXT["margin"].format(verdict="failed", margin=margin)
    elif cv.passed:
        css, head = "pass", TEXT["margin"].format(verdict="passed", margin=margin)
    else:
        css, head = "brief", TEXT["brief"].format(margin=margin)
    return f'<td class="{css}"><b>{_e(head)}</b>{_e(judged)}</td>'


def _verdict(item: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    faults = list(item.get("faults") or ())
    if not faults:
        return f'<td><span class="badge good">{_e(TEXT["good"])}</span></td>'
    items = "".join(f"<li>{_e(labels.get(f, f))}</li>" for f in faults)
    return f'<td><span class="badge faulty">{_e(TEXT["faulty"])}</span><ul class="faults">{items}</ul></td>'


def _table(results: Results) -> str:
    spec, report = results.spec, results.report
    labels = {**{cid: c.label or cid for cid, c in spec.checks.items()}, **(report.get("fault_labels") or {})}
    timeline = results.frames.timeline()
    colours = check_colours(spec)
    is_rep = spec.kind == "reps"
    items = list(report.get("reps" if is_rep else "holds") or [])
    checks = [cid for cid, c in spec.checks.items() if _applies(c.when, is_rep)]
    sided = any(item.get("side") for item in items)
    head = [TEXT["col_rep" if is_rep else "col_hold"], *([TEXT["col_side"]] if sided else []), TEXT["col_time"]]
    if not is_rep:
        head.append(TEXT["col_good"])
    head.append(TEXT["col_verdict"])
    cells = [f"<th>{_e(h)}</th>" for h in head]
    for cid in checks:
        cells.append(
            f'<th><span class="sw" style="background:{colours[cid]}"></span>{_e(labels.get(cid, cid))}'
            f"<small>{_e(_rule(spec, cid))}</small></th>"
        )
    rows = [f"<tr>{''.join(cells)}</tr>"]
    target = spec.hold.target_s if spec.hold else 0.0
    for n, item in enumerate(items, 1):
        values = check_values(item, spec, timeline)
        faults = set(item.get("faults") or ())
        row = [f'<td class="num"><b>{_e(item.get("index", n))}</b></td>']
        if sided:
            row.append(f"<td>{_e(item.get('side') or '')}</td>")
        row.append(f'<td class="num">{_e(TEXT["span"].format(start=item["start_s"], end=item["end_s"]))}</td>')
        if not is_rep:
            good = TEXT["hold_good"].format(good=item.get("good_form_s") or 0.0, target=target)
            row.append(f'<td class="num">{_e(good)}</td>')
        row.append(_verdict(item, labels))
        row += [_cell(spec, cid, values.get(cid), cid in faults) for cid in checks]
        rows.append(f"<tr>{''.join(row)}</tr>")
    if not items:
        empty = TEXT["no_reps" if is_rep else "no_holds"]
        rows.append(f'<tr><td colspan="{len(head) + len(checks)}">{_e(empty)}</td></tr>')
    title = TEXT["table" if is_rep else "table_hold"]
    note = f'<p class="note">{_e(TEXT["table_note"])}</p>'
    return f'<h2>{_e(title)}</h2>{note}<div class="scroll"><table>{"".join(rows)}</table></div>'


def _header(results: Results) -> str:
    spec, report = results.spec, results.report
    name = report.get("exercise_name") or spec.name
    meta = TEXT["meta"].format(
        source=report.get("source", ""), duration=float(report.get("duration_s") or 0.0),
        found=report.get("frames_with_pose", "?"), frames=report.get("frames", "?"),
    )  # fmt: skip
    parts = [f"<h1>{_e(TEXT['title'].format(name=name))}</h1>", f'<div class="meta">{_e(meta)}</div>']
    if report.get("spec_path"):
        parts.append(f'<div class="meta"><code>{_e(TEXT["spec"].format(path=report["spec_path"]))}</code></div>')
    stats = []
    if spec.kind == "reps":
        reps = list(report.get("reps") or [])
        faulty = sum(1 for r in reps if r.get("faults"))
        stats.append(f"<b>{len(reps)}</b>{_e(TEXT['reps'][len(reps) != 1])}")
        stats.append(_e(TEXT["reps_good"].format(good=len(reps) - faulty, faulty=faulty)))
        for side, count in (report.get("rep_count_by_side") or {}).items():
            stats.append(f"<b>{_e(count)}</b>{_e(side)}")
    else:
        holds = list(report.get("holds") or [])
        target = spec.hold.target_s if spec.hold else 0.0
        stats.append(f"<b>{len(holds)}</b>{_e(TEXT['holds'][len(holds) != 1])}")
        for i, h in enumerate(holds, 1):
            side = f" {h['side']}" if h.get("side") else ""
            text = TEXT["hold_good"].format(good=h.get("good_form_s") or 0.0, target=target)
            stats.append(f"<b>{i}{_e(side)}</b>{_e(text)}")
    parts.append('<div class="stats">' + "".join(f'<div class="stat">{s}</div>' for s in stats) + "</div>")
    warnings = list(report.get("warnings") or [])
    if warnings:
        items = "".join(f"<li>{_e(w)}</li>" for w in warnings)
        parts.append(f'<div class="warn"><b>{_e(TEXT["warnings"])}</b><ul>{items}</ul></div>')
    return "".join(parts)


def _cues(results: Results) -> str:
    cues = results.frames.cues
    if not cues:
        return f'<h2>{_e(TEXT["cues"])}</h2><p class="note">{_e(TEXT["no_cues"])}</p>'
    items = "".join(f"<li><span>{t:.1f} s</span>{_e(text)}</li>" for t, text in cues)
    return f'<h2>{_e(TEXT["cues"])}</h2><ul class="cues">{items}</ul>'


def _keyframes(results: Results, keyframes: Mapping[int, np.ndarray] | None) -> str:
    if not keyframes:
        return ""
    import cv2

    labels = results.report.get("fault_labels") or {}
    figures = []
    for rep in results.report.get("reps") or []:
        image = keyframes.get(int(rep["index"]))
        if image is None:
            continue
        ok, data = cv2.imencode(".png", np.ascontiguousarray(image))
        if not ok:
            continue
        faults = list(rep.get("faults") or ())
        verdict = "; ".join(labels.get(f, f) for f in faults) or TEXT["good"]
        side = f" {rep['side']}" if rep.get("side") else ""
        caption = f"#{rep['index']}{side} · {TEXT['span'].format(start=rep['start_s'], end=rep['end_s'])} · {verdict}"
        css = "faulty" if faults else "good"
        figures.append(
            f'<figure class="{css}"><img alt="{_e("rep " + str(rep["index"]))}" src="{_png_uri(data.tobytes())}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>"
        )
    if not figures:
        return ""
    return f'<h2>{_e(TEXT["keyframes"])}</h2><div class="thumbs">{"".join(figures)}</div>'


#: SVG dash patterns of the plots' line styles (for the legend swatches).
DASHES: dict[str, str] = {"-": "", "--": "5 3", "-.": "6 2 1.5 2", ":": "1.5 2"}


def _swatch(item: LegendItem) -> str:
    """A small inline SVG drawn like the item's artist on the plot."""
    c, a = _e(item.colour), item.alpha
    if item.kind == "line":
        dash = DASHES.get(item.dash, "")
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        shape = f'<line x1="1" y1="6" x2="21" y2="6" stroke="{c}" stroke-width="{item.width:g}"{dash_attr}/>'
    elif item.kind == "marker":
        shape = f'<circle cx="11" cy="6" r="4" fill="{c}" stroke="#fff"/>'
    else:
        edge = f' stroke="{c}"' if item.kind == "band" else ""
        shape = f'<rect x="1" y="1" width="20" height="10" fill="{c}" fill-opacity="{a:.2f}"{edge}/>'
    return f'<svg width="22" height="12" viewBox="0 0 22 12" aria-hidden="true">{shape}</svg>'


def _plots(results: Results) -> str:
    pngs = metric_pngs(results)
    parts = [f'<h2>{_e(TEXT["plots"])}</h2><p class="note">{_e(TEXT["plots_note"])}</p>']
    for name in plotted_metrics(results.spec):
        label = results.spec.metrics[name].label or name
        png, items = pngs[name]
        legend = "".join(f"<li>{_swatch(i)}{_e(i.label)}</li>" for i in items)
        parts.append(
            f'<div class="plot" id="metric-{_e(name)}"><img alt="{_e(label)}" src="{_png_uri(png)}">'
            f'<ul class="legend">{legend}</ul></div>'
        )
    return "".join(parts)


def render_html(results: Results, keyframes: Mapping[int, np.ndarray] | None = None) -> str:
    """The whole page for ``results`` (see the module docstring) as a string."""
    name = results.report.get("exercise_name") or results.spec.name
    body = "".join(
        (_header(results), _table(results), _plots(results), _cues(results), _keyframes(results, keyframes))
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(TEXT['title'].format(name=name))}</title><style>{STYLE}</style></head>"
        f'<body><main>{body}<footer>{_e(TEXT["footer"])}</footer></main></body></html>\n'
    )


def write_report_html(out_dir: Path, spec: ExerciseSpec, keyframes: Mapping[int, np.ndarray] | None = None) -> Path:
    """Write ``out_dir/report.html`` from the report.json and frames.csv in ``out_dir``, judged with
    ``spec``; ``keyframes`` maps rep index -> BGR thumbnail (see :func:`~posecheck.sinks.keyframes.draw_keyframes`).

    Returns the page's path. Raises :class:`~posecheck.errors.OutputError` when the results cannot be read
    or the page cannot be written (written via a temporary file: a failure never leaves half a page)."""
    results = load_results(out_dir, spec)
    page = render_html(results, keyframes)
    path = out_dir / HTML_NAME
    tmp = path.with_suffix(".html.tmp")
    with writing(path, "write the report page"):
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, path)
    return path

"""The report's charts, drawn with matplotlib and embedded as base64 PNG.

Embedding keeps ``report.html`` one self-contained file that can be mailed or attached to
an issue. Each function returns ``None`` when there is nothing to draw.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: render to memory only
import matplotlib.pyplot as plt

from authkit.variants import BASELINES, PALETTE, VARIANTS, colour_of


def colour(name: str, index: int = 0) -> str:
    """The registry's colour for a target; a palette colour for one it no longer knows."""
    variant = VARIANTS.get(name) or BASELINES.get(name)
    return colour_of(variant) if variant else PALETTE[index % len(PALETTE)]


def _encode(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def grouped_bars(
    title: str,
    ylabel: str,
    groups: list[str],
    series: dict[str, list[float | None]],
    value_format: str = "{:.2f}",
    reference: tuple[float, str] | None = None,
) -> str | None:
    """Bars per group (e.g. scenario or endpoint), one colour per target."""
    if not groups or not series or all(v is None for vals in series.values() for v in vals):
        return None
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        heights = [v or 0 for v in values]
        bars = ax.bar(xs, heights, width * 0.95, label=name, color=colour(name, i))
        for bar, value in zip(bars, values, strict=True):
            if value is not None:
                ax.annotate(
                    value_format.format(value),
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=6.5, xytext=(0, 1),
                    textcoords="offset points",
                )  # fmt: skip
    if reference:
        ax.axhline(reference[0], color="black", linestyle="--", linewidth=1)
        ax.annotate(
            reference[1], (len(groups) - 0.5, reference[0]), ha="right", va="bottom", fontsize=8
        )
    ax.set_xticks(range(len(groups)), groups, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10, loc="left", pad=24)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=7.5, frameon=False, ncol=min(len(series), 6), loc="lower left",
              bbox_to_anchor=(0.0, 1.0), handlelength=1.0, columnspacing=1.0)  # fmt: skip
    ax.margins(y=0.15)
    return _encode(fig)


def revocation_chart(windows: dict[str, dict[str, Any]]) -> str | None:
    """Horizontal bars: seconds an old credential was still accepted, per variant."""
    if not windows:
        return None
    names = list(windows)
    fig, ax = plt.subplots(figsize=(6.4, 1.2 + 0.55 * len(names)))
    lifetime = None
    for i, name in enumerate(names):
        for offset, kind, hatch in ((-0.18, "logout", ""), (0.18, "logout_all", "//")):
            row = windows[name].get(kind)
            if not row:
                continue
            lifetime = row["lifetime_seconds"]
            value = row["window_seconds"]
            ax.barh(i + offset, value, 0.34, color=colour(name, i), hatch=hatch,
                    edgecolor="white")  # fmt: skip
            if row["still_accepted_at_end"]:
                label = f"{value:.2f} s, still accepted when the probe stopped"
            elif row["accepted_replays"] == 0:
                label = "refused from the first replay"
            else:
                label = f"{value:.2f} s"
            ax.annotate(label, (value, i + offset), va="center", fontsize=8, xytext=(3, 0),
                        textcoords="offset points")  # fmt: skip
    if lifetime:
        ax.axvline(lifetime, color="black", linestyle="--", linewidth=1)
        ax.annotate(f"lifetime {lifetime} s", (lifetime, -0.5), ha="left", va="bottom",
                    fontsize=8, xytext=(3, 0), textcoords="offset points")  # fmt: skip
        ax.set_xlim(0, lifetime * 1.6)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_ylim(len(names) - 0.5, -0.7)
    ax.set_xlabel("seconds still accepted (solid: logout; hatched: logout-all)", fontsize=8)
    ax.set_title("Revocation: old credential replayed every 100 ms", fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return _encode(fig)


def credential_size_chart(sizes: dict[str, dict[int, int | str]]) -> str | None:
    """Bytes per request against cart lines, one line per variant (base64 PNG)."""
    if not sizes:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for i, (name, by_lines) in enumerate(sizes.items()):
        points = sorted((int(k), v) for k, v in by_lines.items() if isinstance(v, int))
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", label=name, color=colour(name, i))
    ax.axhline(4096, color="#888", linestyle="--", linewidth=1)
    ax.annotate("4 KB: what browsers keep per cookie", (0, 4096), fontsize=7, va="bottom")
    ax.set_xlabel("cart lines")
    ax.set_ylabel("credential bytes sent per request")
    ax.set_title("Credential size against cart size")
    ax.legend(fontsize=7)
    return _encode(fig)

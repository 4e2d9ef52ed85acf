"""The benchmarks' tables: what each mode prints as it goes and at the end."""

from __future__ import annotations

import statistics
from pathlib import Path

from benchmarks.measure import MB, StageResult


def log_tail(path: Path, lines: int = 20) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return []


def stage_line(result: StageResult) -> StageResult:
    print(
        f"  {result.name:<10} {result.seconds:8.1f} s  {result.rows:>11,} {result.row_unit:<13} "
        f"{result.rows_per_s:>11,.0f}/s  {result.mb_per_s:7.1f} MB/s",
        flush=True,
    )
    return result


def mib(value: float | None) -> str:
    return f"{value:,.0f}" if value is not None else "-"


def print_stages(report: dict) -> None:
    config, floor_figures, view = report["config"], report["floor"], report["view"]
    print()
    print(
        f"{config['customers']:,} customers x {config['months']} months ({config['first_day']}..{config['end']}): "
        f"{config['transactions']:,} transactions, {config['basket_lines']:,} basket lines, "
        f"{config['day_files']} day files, {config['input_bytes'] / MB:,.1f} MB; {config['cpus']} CPUs; "
        f"load average {config['load_average_start'][0]:.1f} at start, {config['load_average_end'][0]:.1f} at end"
    )
    header = (
        f"{'stage':<12}{'wall s':>9}{'rows':>12}  {'(unit)':<14}{'rows/s':>11}{'MB/s':>8}"
        f"{'runs':>6}{'SQL s':>8}   {'peak MiB: pipeline':>18}{'emulator':>10}{'s3':>7}"
    )
    print(header)
    print("-" * len(header))
    for stage in report["stages"]:
        peaks = stage["peak_mib"]
        print(
            f"{stage['name']:<12}{stage['seconds']:>9.1f}{stage['rows']:>12,}  {stage['row_unit']:<14}"
            f"{stage['rows_per_s']:>11,.0f}{stage['mb_per_s']:>8.1f}{stage['runs']:>6}{stage['sql_seconds']:>8.1f}   "
            f"{mib(peaks.get('pipeline')):>18}{mib(peaks.get('snowflake')):>10}{mib(peaks.get('s3')):>7}"
        )
    fq = floor_figures["query_seconds"]
    print(
        f"{'floor':<12}{fq:>9.1f}{floor_figures['basket_lines']:>12,}  {'basket lines':<14}"
        f"{floor_figures['basket_lines'] / fq if fq else 0:>11,.0f}{config['input_bytes'] / MB / fq if fq else 0:>8.1f}"
        f"{'':>6}{'':>8}   {mib(floor_figures['peak_mib']):>18}"
        f"   (its own process: plain DuckDB, {floor_figures['threads']} threads)"
    )
    accounted = floor_figures["accounted"]
    aq = accounted["query_seconds"]
    print(
        f"{'accounted':<12}{aq:>9.1f}{accounted['basket_lines']:>12,}  {'basket lines':<14}"
        f"{accounted['basket_lines'] / aq if aq else 0:>11,.0f}{config['input_bytes'] / MB / aq if aq else 0:>8.1f}"
        f"{'':>6}{'':>8}   {mib(accounted['peak_mib']):>18}"
        f"   (the floor plus per-line accounting: numbered lines, one typed parse, quarantine rules, duplicates)"
    )
    print(
        f"{'floor export':<12}{floor_figures['export_seconds']:>9.1f}{floor_figures['rows']:>12,}  {'view rows':<14}"
        f"   (query median of {floor_figures['query_runs']} s; process incl. Python start: "
        f"{floor_figures['process_seconds']:.1f} s)"
    )
    print()
    match = "OK" if report["floor_matches_view"] else "MISMATCH"
    print(
        f"row count: pipeline view {view['rows']:,} rows / {view['basket_lines']:,} basket lines; "
        f"DuckDB floor {floor_figures['rows']:,} rows / {floor_figures['basket_lines']:,} basket lines -> {match}"
    )
    match = "OK" if report["accounted_floor_matches_lines"] else "MISMATCH"
    print(
        f"accounted floor: {accounted['lines']:,} lines, {accounted['loaded_lines']:,} loaded, "
        f"{accounted['rows']:,} rows (runs {accounted['query_runs']} s); lines and loaded lines "
        f"against the pipeline -> {match}"
    )
    for label, value in report["ratios"].items():
        suffix = "x" if "/" in label else " s"
        print(f"{label}: {value}{suffix}")
    print(f"pipeline process peak RSS over the whole run (ru_maxrss): {report['process_peak_rss_mib']:,.0f} MiB")
    if not config["memory_peaks_reset_per_stage"]:
        print("(peaks could not be reset between stages: they are running maxima)")
    print()
    print("where the time goes (top statements per stage, wall seconds as the client sees them):")
    for stage in report["stages"]:
        if not stage["statements"] and not stage["steps"]:
            continue
        in_steps = sum(v[0] for v in stage["steps"].values())
        print(
            f"  {stage['name']}: {stage['seconds']:.1f} s wall = {in_steps:.1f} s in steps "
            f"(of which {stage['sql_seconds']:.1f} s SQL) + {stage['seconds'] - in_steps:.1f} s outside Dagster steps"
        )
        if len(stage["steps"]) > 1:
            print("    steps: " + ", ".join(f"{k} {v[0]:.1f} s" for k, v in stage["steps"].items()))
        for key, seconds, count in stage["statements"][:5]:
            print(f"    {seconds:8.2f} s  x{count:<4} {key}")


def print_incremental(report: dict) -> None:
    config = report["config"]
    print()
    print(
        f"weekly run (weekly_job {config['weekly_partition'][:7]}); "
        f"{config['customers']:,} customers, {config['transactions']:,} transactions over {config['months']} months"
    )
    header = (
        f"{'loaded':<22}{'weekly s (median)':>18}{'month steps s':>15}{'publish steps s':>17}{'snapshot rows':>15}"
        f"   {'peak MiB: pipeline':>18}{'emulator':>10}{'s3':>7}"
    )
    print(header)
    print("-" * len(header))
    for label, name in (("history", f"{config['months']} months"), ("one_month", "1 month")):
        side = report[label]
        runs = side["weekly_runs"]
        print(
            f"{name:<22}{side['weekly_median_seconds']:>18.1f}"
            f"{statistics.median(r['month_steps'] for r in runs):>15.1f}"
            f"{statistics.median(r['publish_steps'] for r in runs):>17.1f}{runs[-1]['snapshot_rows']:>15,}   "
            f"{mib(max(r['peak_mib']['pipeline'] or 0 for r in runs)):>18}"
            f"{mib(max(r['peak_mib']['snowflake'] or 0 for r in runs)):>10}"
            f"{mib(max(r['peak_mib']['s3'] or 0 for r in runs)):>7}"
        )
    for label, name in (("history", f"{config['months']} months"), ("one_month", "1 month")):
        steps = report[label]["weekly_runs"][-1]["steps"]
        print(f"  {name}, last weekly run by step: " + ", ".join(f"{k} {v[0]:.1f} s" for k, v in steps.items()))
        for key, seconds, count in report[label]["weekly_runs"][-1]["statements"][:6]:
            print(f"    {seconds:8.2f} s  x{count:<4} {key}")
    print(
        "audit_job (monthly, whole history): "
        + ", ".join(
            f"{name} {report[label]['audit_job']['seconds']:.1f} s "
            f"({report[label]['audit_job']['view_rows']:,} view rows)"
            for label, name in (("history", f"{config['months']} months"), ("one_month", "1 month"))
        )
    )
    verdict = "within" if report["within_target"] else "ABOVE"
    print(f"ratio {config['months']} months / 1 month: {report['ratio']:.2f} ({verdict} the target {report['target']})")
    history = report["history"]
    print(
        f"loading the history ({len(history['load_per_month'])} months in one ranged run, then the views): "
        f"{history['setup_seconds']:.1f} s"
    )

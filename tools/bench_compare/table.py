"""The Markdown table: one header per section (arkmq / Mosquitto, then arkmq on / off), one row
per scenario with each figure as left / right (ratio), and notes printed after the table."""

HEADERS = {
    "compare": ("| scenario | msgs/s (or conn/s, bytes/conn, calls/s): arkmq / mosquitto | "
                "broker CPU µs per delivered msg (or call, connection) | p50 µs | p99 µs | "
                "lost (reqresp: timeouts) | errors |"),
    "features": ("| scenario | msgs/s: arkmq features on / off | broker CPU µs per delivered msg: "
                 "on / off | p50 µs | p99 µs | lost | errors |"),
}
RULE = "| --- | --- | --- | --- | --- | --- | --- |"


def section(scenario):
    return "features" if scenario.kind == "features" else "compare"


def fmt(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "-"


def main_figure(result):
    return {"connect": "connections_per_s", "idle": "bytes_per_connection"}.get(
        result.get("scenario"), "delivered_per_s")


def row(name, left, right):
    lat_l = left.get("latency_us") or {}
    lat_r = right.get("latency_us") or {}
    cells = [name]
    key = main_figure(left)
    a, b = left.get(key), right.get(key)
    cells.append(f"{fmt(a, 0)} / {fmt(b, 0)} ({ratio(a, b)}x)")
    a, b = left.get("cpu_us_per_unit"), right.get("cpu_us_per_unit")
    cells.append(f"{fmt(a, 2)} / {fmt(b, 2)} ({ratio(a, b)}x)")
    cells.append(f"{fmt(lat_l.get('p50'), 0)} / {fmt(lat_r.get('p50'), 0)}")
    p99_l, p99_r = lat_l.get("p99"), lat_r.get("p99")
    p99 = f"{fmt(p99_l, 0)} / {fmt(p99_r, 0)}"
    cells.append(p99 + (f" ({ratio(p99_l, p99_r)}x)" if p99_l and p99_r else ""))
    key = "timeouts" if left.get("scenario") == "reqresp" else "lost"
    cells.append(f"{fmt(left.get(key), 0)} / {fmt(right.get(key), 0)}")
    cells.append(f"{fmt(left.get('errors'), 0)} / {fmt(right.get('errors'), 0)}")
    return "| " + " | ".join(cells) + " |"


def notes_for(name, left, right, sides):
    """Lines for under the table: held idle connections, error samples."""
    notes = []
    if left.get("scenario") == "idle":
        notes.append(f"{name}: held {fmt(left.get('connections_open'), 0)} / "
                     f"{fmt(right.get('connections_open'), 0)} of {fmt(left.get('clients'), 0)} "
                     f"connections ({sides[0]} / {sides[1]})")
    for side, result in zip(sides, (left, right)):
        for sample in result.get("error_samples") or []:
            notes.append(f"{name}: {side} error: {sample}")
    return notes

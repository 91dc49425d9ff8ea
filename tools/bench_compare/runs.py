"""Running arkmq-bench against a fresh broker, repeating a row (--runs N, the median of each
figure), and the three kinds of row: arkmq vs Mosquitto, latency at half of Mosquitto's maximum
rate, arkmq with its features on vs off."""
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from . import brokers
from .scenarios import ONE_PAIR_MAX

# The reqresp identities arkmq-broker gets in its data directory (docs/bench.md, "reqresp").
NODE_USER, CALLER_USER = "bench-node", "bench-caller"
WARMUP_S = 1.0


def make_service_store(build, work):
    """A data directory with the node and caller users and their grants; bench credential args."""
    data = tempfile.mkdtemp(prefix="arkmq-data-", dir=work)
    ctl = os.path.join(build, "tools/arkmqctl/arkmqctl")
    files = {}
    for user in (NODE_USER, CALLER_USER):
        password = os.urandom(12).hex()
        files[user] = os.path.join(work, f"{user}.pw")
        with open(files[user], "w") as f:
            f.write(password + "\n")
        subprocess.run([ctl, "--data-dir", data, "user", "add", user, "--password-stdin"],
                       input=password + "\n", text=True, check=True, capture_output=True)
    for grant in (["--node", NODE_USER], ["--user", CALLER_USER]):
        subprocess.run([ctl, "--data-dir", data, "service", "grant"] + grant +
                       ["--service", "bench"], check=True, capture_output=True)
    bench_args = ["--username", CALLER_USER, "--password-file", files[CALLER_USER],
                  "--node-username", NODE_USER, "--node-password-file", files[NODE_USER]]
    return data, bench_args


class Context:
    """What every run of one bench-compare invocation shares: options, the work directory, the
    PKI and the features store (each made once, on first use)."""

    def __init__(self, opts, work):
        self.opts, self.work = opts, work
        self._pki = None
        self._features = None
        self._features_error = None  # made once: a failure is not retried for every row

    def pki(self):
        if self._pki is None:
            self._pki = brokers.make_pki(self.work)
        return self._pki

    def features(self):
        """The features store (tools/bench_features.py, owned by features-perf): made once; each
        run gets a fresh copy of its data directory. RuntimeError when it is not available."""
        if self._features_error:
            raise RuntimeError(self._features_error)
        if self._features is None:
            try:
                self._features = self._make_features()
            except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
                detail = getattr(error, "stderr", None) or ""
                self._features_error = f"features store: {error} {str(detail).strip()}".strip()
                raise RuntimeError(self._features_error)
        return self._features

    def _make_features(self):
        """Imports tools/bench_features.py (guarded) and makes the store in WORK/features."""
        tools = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        if tools not in sys.path:
            sys.path.insert(0, tools)
        try:
            module = importlib.import_module("bench_features")
        except ImportError as error:
            raise RuntimeError(f"tools/bench_features.py is not available ({error})")
        home = os.path.join(self.work, "features")
        os.makedirs(home, exist_ok=True)
        store = module.make_feature_store(self.opts.build, home)
        missing = {"data_dir", "config", "broker_args", "bench_args"} - set(store)
        if missing:
            raise RuntimeError(f"make_feature_store returned no {', '.join(sorted(missing))}")
        return store


def run_one(ctx, kind, scenario, args, features=False):
    """One arkmq-bench run against a fresh KIND broker; its JSON result plus cpu_us_per_unit
    (broker CPU per delivered message, call or connection) and cpu_us_total."""
    opts = ctx.opts
    mode = scenario.modes.get(kind)
    data_dir, extra, store = None, [], None
    if features:
        store = ctx.features()
        data_dir = tempfile.mkdtemp(prefix="arkmq-features-", dir=ctx.work)
        shutil.rmtree(data_dir)
        shutil.copytree(store["data_dir"], data_dir)  # a fresh journal and store per run
        extra = list(store["bench_args"])
    elif mode == "services":
        data_dir, extra = make_service_store(opts.build, ctx.work)
    elif mode == "plain":
        extra = ["--plain-reqresp"]
    pki = ctx.pki() if scenario.tls else None
    broker = brokers.start(kind, opts.build, ctx.work, opts.broker_cpu, tls_pki=pki,
                           features=store, data_dir=data_dir)
    try:
        bench = [os.path.join(opts.build, "tools/arkmq-bench/arkmq-bench"), "--broker", broker.url]
        if pki and "--insecure" not in args:
            bench += ["--cafile", os.path.join(pki, "ca.pem")]
        if features:
            # The first login costs one PBKDF2 (0.1-0.3 s of broker CPU; later ones hit the login
            # cache): done before the CPU is sampled, as a long-running broker would have.
            subprocess.run(bench + ["--scenario", "idle", "--clients", "1", "--duration", "0.1"]
                           + extra, capture_output=True, timeout=30)
        argv = bench + ["--json", "--size", "64", "--duration", str(opts.duration),
                        "--warmup", str(WARMUP_S)] + args + extra
        if "idle" in args:
            argv += ["--broker-pid", str(broker.proc.pid)]
        before = brokers.cpu_seconds(broker.proc.pid)
        out = subprocess.run(brokers.pinned(opts.bench_cpu, argv), capture_output=True, text=True,
                             timeout=opts.duration * 4 + 180, preexec_fn=brokers.raise_nofile)
        after = brokers.cpu_seconds(broker.proc.pid)
        if out.returncode not in (0, 1) or not out.stdout.strip():
            raise RuntimeError(f"arkmq-bench failed ({out.returncode}): {out.stderr.strip()}")
        result = json.loads(out.stdout)
    finally:
        broker.stop()
    # CPU over warm-up + measurement; deliveries counted over the measurement only, so scale.
    measured = float(result.get("duration_s") or opts.duration)
    cpu_us = (after - before) * 1e6 * measured / (measured + WARMUP_S)
    units = result.get("connections") if result.get("scenario") == "connect" else \
        result.get("delivered")
    result["cpu_us_total"] = cpu_us
    result["cpu_us_per_unit"] = cpu_us / units if units else None
    return result


# Figures a row shows; with --runs N each is the median of the N runs.
FIGURES = ["delivered_per_s", "connections_per_s", "bytes_per_connection", "cpu_us_per_unit",
           "lost", "timeouts", "errors", "connections_open", "rate"]


def median_result(results):
    """One result whose figures are the medians of RESULTS (each figure on its own)."""
    merged = dict(results[0])
    for key in FIGURES:
        values = [r[key] for r in results if r.get(key) is not None]
        merged[key] = statistics.median(values) if values else None
    latencies = [r["latency_us"] for r in results if r.get("latency_us")]
    if latencies:
        merged["latency_us"] = {p: statistics.median(l[p] for l in latencies)
                                for p in ("p50", "p99", "p999", "max")}
    merged["runs"] = len(results)
    merged["error_samples"] = [s for r in results for s in r.get("error_samples", [])][:3]
    return merged


def run_row(ctx, scenario):
    """The two sides of SCENARIO's row, each the median over --runs, and notes for under the
    table. compare/half_rate: (arkmq, mosquitto); features: (arkmq on, arkmq off)."""
    left, right, notes = [], [], []
    for _ in range(ctx.opts.runs):  # alternate the two sides, each on a fresh broker
        if scenario.kind == "features":
            left.append(run_one(ctx, "arkmq", scenario, scenario.args, features=True))
            right.append(run_one(ctx, "arkmq", scenario, scenario.args))
        elif scenario.kind == "half_rate":
            peak = run_one(ctx, "mosquitto", scenario, ONE_PAIR_MAX)
            rate = max(1, int((peak.get("delivered_per_s") or 0) / 2))
            args = scenario.args + ["--rate", str(rate)]
            left.append(run_one(ctx, "arkmq", scenario, args))
            right.append(run_one(ctx, "mosquitto", scenario, args))
            notes.append(f"Mosquitto's one-pair maximum {peak.get('delivered_per_s', 0):,.0f} "
                         f"msgs/s -> latency at {rate:,} msgs/s")
        else:
            left.append(run_one(ctx, "arkmq", scenario, scenario.args))
            right.append(run_one(ctx, "mosquitto", scenario, scenario.args))
    return median_result(left), median_result(right), notes

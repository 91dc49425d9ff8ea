#!/usr/bin/env python3
"""arkmq with its features on, for benchmarks: 10,000 ACL rules, per-client quotas, the journal.

`make_feature_store(build, work)` prepares, with the real arkmqctl of `build`, an arkmq data
directory that looks like a deployment (an industrial fleet: sites, devices, gateways, analysts;
rules for users, roles, client-id globs, %u/%c/%r placeholders, denies at higher priority, service
grants), plus one benchmark user whose rules grant exactly the arkmq-bench topics and whose quotas
are far above what the benchmark sends but are checked on every message. It returns

    {"data_dir": str,          # pass as arkmq-broker --data-dir (the journal goes to audit.db)
     "config": str,            # TOML to append to arkmq's config file ([audit], [persistence])
     "broker_args": list[str], # instead of --allow-anonymous / --acl-default allow
     "bench_args": list[str]}  # arkmq-bench --username/--password-file/--topic-prefix

Notes for callers (tools/bench-compare):
- The journal is on with the operator's defaults (no `publishes` line: `"summary"`, accepted
  publishes counted per client/topic/QoS and written as one row per key and second);
  `make_feature_store(build, work, publishes="all")` measures the opt-in row per accepted PUBLISH
  (a hash-chained SQLite row per message: ~33,000 instructions in the writer, 3-5x the broker's
  own work per message), `publishes="none"` journals everything but accepted publishes.
- Persistence (`state.db`) is switched off: it is on by default with a data dir, but it is not
  one of the features issue 7's "features on" target names, and with `synchronous = "full"` it
  would measure the disk.
- Without features, arkmq still runs every request through the same Authority (no rules,
  `--acl-default allow`), so "off" is "no rules", not "no authorization code".
- The first CONNECT of the benchmark user costs one PBKDF2 (210,000 iterations, ~0.1-0.3 s of
  broker CPU); later ones hit the login cache. Measure broker CPU after a first connection (or
  subtract it) when the run is short.
- The store's 10,000 `admin_changes` rows are copied into the journal when the broker starts;
  that is done before the broker's first second is over on this machine.
- Takes 3-5 s (most of it `arkmqctl acl import`, one transaction per rule).

Run it directly to print the result for a build:
tools/bench_features.py BUILD_DIR [WORK_DIR [all|none]].
"""
import json
import os
import random
import subprocess
import sys
import tempfile

BENCH_USER = "arkmq-bench"
BENCH_ROLE = "benchmark"
TOPIC_PREFIX = "bench"
RULE_COUNT = 10_000

# arkmq-bench's topics (tools/arkmq-bench/pubsub_run.cpp): PREFIX/TAG/SCENARIO/N, where TAG is
# unique per run; fan-in subscribes to PREFIX/TAG/fanin/+, fan-out uses PREFIX/TAG/fanout/all.
BENCH_TOPICS = [f"{TOPIC_PREFIX}/+/pairs/+", f"{TOPIC_PREFIX}/+/latency/+",
                f"{TOPIC_PREFIX}/+/fanin/+", f"{TOPIC_PREFIX}/+/fanout/all"]

ROLES = ["operators", "viewers", "devices", "gateways", "maintenance", "analytics", "auditors",
         "integrators", "support", BENCH_ROLE]

# Quotas: checked on every message, never reached by the benchmark (its fastest runs deliver
# well under 10 million messages/s in total).
BENCH_QUOTA = ["--msgs-per-s", "10000000", "--burst", "10000000",
               "--bytes-per-s", "4000000000", "--bytes-burst", "4000000000",
               "--max-inflight", "1024", "--max-queued", "100000",
               "--max-queued-bytes", "1073741824", "--max-subscriptions", "10000",
               "--max-connections", "100000", "--max-packet-size", "1048576"]
DEFAULT_QUOTA = ["--msgs-per-s", "100", "--burst", "200", "--bytes-per-s", "65536",
                 "--max-inflight", "32", "--max-queued", "1000", "--max-subscriptions", "50",
                 "--max-connections", "4"]
ROLE_QUOTAS = {"devices": ["--msgs-per-s", "20", "--max-connections", "1"],
               "operators": ["--msgs-per-s", "1000", "--max-subscriptions", "500"],
               "analytics": ["--bytes-per-s", "10485760", "--max-queued", "100000"]}

CONFIG = """
[audit]
enabled = true
{publishes_line}
[persistence]
enabled = false
"""


def rule(effect, actions, subject, value, topic, priority=0):
    return {"effect": effect, "actions": actions, "subject": subject, "subject_value": value,
            "topic": topic, "priority": priority}


def deployment_rules(count=RULE_COUNT, seed=7):
    """`count` rules of an industrial fleet, the benchmark user's among them."""
    rnd = random.Random(seed)
    pub, sub, recv = ["publish"], ["subscribe", "receive"], ["receive"]
    rules = [
        # Broker-wide: nobody touches secrets or pushes firmware except by a higher rule.
        rule("deny", ["publish", "subscribe", "receive"], "anyone", "", "+/+/secrets/#", 100),
        rule("deny", pub, "anyone", "", "plant/+/+/firmware/#", 50),
        rule("allow", pub, "role", "maintenance", "plant/+/+/firmware/#", 60),
        rule("allow", ["publish", "subscribe", "receive"], "anyone", "", "users/%u/#"),
        rule("deny", ["publish", "subscribe", "receive"], "anyone", "", "users/%u/locked/#", 10),
        rule("allow", ["publish", "subscribe", "receive"], "anyone", "", "clients/%c/#"),
        rule("allow", sub, "anyone", "", "teams/%r/#"),
        rule("allow", recv + ["subscribe"], "anonymous", "", "public/#"),
        rule("allow", sub, "role", "auditors", "#"),
        rule("deny", pub, "role", "auditors", "#", 5),
        rule("allow", sub, "role", "support", "+/+/status"),
    ]
    # The benchmark user: exactly arkmq-bench's topics, by user and by role, and a deny beside.
    for topic in BENCH_TOPICS:
        rules.append(rule("allow", pub, "user", BENCH_USER, topic))
        rules.append(rule("allow", sub, "role", BENCH_ROLE, topic))
    rules.append(rule("deny", ["publish", "subscribe", "receive"], "role", BENCH_ROLE,
                      f"{TOPIC_PREFIX}/+/admin/#", 10))
    sites = [f"site-{i:02d}" for i in range(40)]
    for site in sites:  # 14 per site
        rules += [
            rule("allow", sub, "role", "operators", f"plant/{site}/#"),
            rule("allow", pub, "role", "operators", f"plant/{site}/+/cmd/+"),
            rule("allow", sub, "role", "viewers", f"plant/{site}/+/telemetry/#"),
            rule("deny", pub, "role", "viewers", f"plant/{site}/#", 5),
            rule("allow", ["publish", "subscribe", "receive"], "role", "maintenance",
                 f"plant/{site}/maintenance/#"),
            rule("allow", sub, "role", "analytics", f"plant/{site}/+/telemetry/+"),
            rule("allow", pub, "role", "integrators", f"erp/{site}/orders/+"),
            rule("allow", sub, "role", "integrators", f"erp/{site}/#"),
            rule("deny", ["subscribe", "receive"], "role", "integrators", f"erp/{site}/payroll/#", 20),
            rule("allow", sub, "role", "devices", f"plant/{site}/broadcast/#"),
            rule("allow", pub, "client", f"{site}-gw-*", f"plant/{site}/+/telemetry/#"),
            rule("allow", sub, "client", f"{site}-gw-*", f"plant/{site}/+/cmd/+"),
            rule("allow", ["publish", "subscribe", "receive"], "role", "gateways",
                 f"gateways/{site}/%c/#"),
            rule("deny", ["publish", "subscribe", "receive"], "client", f"{site}-legacy-*",
                 f"plant/{site}/#", 30),
        ]
    analysts = [f"analyst-{i:03d}" for i in range(150)]
    for name in analysts:  # 4 per analyst
        team = rnd.choice(["quality", "energy", "yield", "logistics"])
        rules += [
            rule("allow", sub, "user", name, f"analytics/{team}/{name}/#"),
            rule("allow", pub, "user", name, f"analytics/{team}/{name}/results/+"),
            rule("deny", ["subscribe", "receive"], "user", name, f"analytics/+/{name}/raw/#", 15),
            rule("allow", sub, "user", name, f"plant/{rnd.choice(sites)}/+/telemetry/#"),
        ]
    device = 0
    while len(rules) < count:  # the rest: devices, 3 rules each (certificate identities)
        site = sites[device % len(sites)]
        name = f"dev-{device:05d}"
        for r in (rule("allow", pub, "user", name, f"plant/{site}/{name}/telemetry/#"),
                  rule("allow", pub, "user", name, f"plant/{site}/{name}/status"),
                  rule("allow", sub, "user", name, f"plant/{site}/{name}/cmd/+")):
            if len(rules) < count:
                rules.append(r)
        device += 1
    return rules


def _ctl(ctl, data, *args, stdin=None):
    return subprocess.run([ctl, "--data-dir", data] + list(args), input=stdin, text=True,
                          check=True, capture_output=True).stdout


def make_feature_store(build, work, publishes=None):
    """`publishes`: the journal's [audit] publishes. None (no line: the operator's default,
    "summary"), "summary", "all" (one row per accepted PUBLISH) or "none" (logins, denials, quota
    hits, subscriptions, admin changes)."""
    if publishes not in (None, "all", "summary", "none"):
        raise ValueError(f"publishes must be None, 'all', 'summary' or 'none', not {publishes!r}")
    ctl = os.path.join(build, "tools/arkmqctl/arkmqctl")
    data = tempfile.mkdtemp(prefix="arkmq-features-", dir=work)
    for role in ROLES:
        _ctl(ctl, data, "role", "add", role)
    # The benchmark user logs in with a password (one PBKDF2, then the login cache), bound to
    # arkmq-bench's client ids ("bench-TAG-p0", ...).
    password = os.urandom(12).hex()
    password_file = data + ".bench.pw"  # beside the data dir: callers copy the dir
    with open(password_file, "w") as f:
        f.write(password + "\n")
    os.chmod(password_file, 0o600)
    _ctl(ctl, data, "user", "add", BENCH_USER, "--role", BENCH_ROLE, "--client-id", "bench-*",
         "--password-stdin", stdin=password + "\n")
    # A few stored users besides (certificate logins: no hash to compute); the devices and
    # analysts the rules name are certificate identities that need no stored user.
    for name, roles in (("ops-anna", ["operators"]), ("ops-ben", ["operators", "maintenance"]),
                        ("view-carl", ["viewers"]), ("gw-site-00", ["gateways", "devices"]),
                        ("erp-bridge", ["integrators"]), ("auditor-1", ["auditors"]),
                        ("support-1", ["support", "viewers"])):
        role_args = [arg for role in roles for arg in ("--role", role)]
        _ctl(ctl, data, "user", "add", name, "--cert-only", *role_args)
    rules_file = data + ".rules.json"
    with open(rules_file, "w") as f:
        json.dump({"rules": deployment_rules()}, f)
    _ctl(ctl, data, "acl", "import", rules_file)
    # Service permissions (compiled into $svc/ rules beside the 10,000 stored ones).
    _ctl(ctl, data, "service", "grant", "--node", "gw-site-00", "--service", "plc")
    _ctl(ctl, data, "service", "grant", "--role", "operators", "--service", "plc")
    _ctl(ctl, data, "service", "grant", "--role", "viewers", "--service", "plc", "--method", "read")
    _ctl(ctl, data, "service", "grant", "--role", "integrators", "--service", "erp")
    _ctl(ctl, data, "quota", "set", "--default", *DEFAULT_QUOTA)
    for role, limits in ROLE_QUOTAS.items():
        _ctl(ctl, data, "quota", "set", "--role", role, *limits)
    _ctl(ctl, data, "quota", "set", "--user", BENCH_USER, *BENCH_QUOTA)
    return {
        "data_dir": data,
        "config": CONFIG.format(
            publishes_line="" if publishes is None else f'publishes = "{publishes}"\n'),
        "broker_args": ["--acl-default", "deny"],
        "bench_args": ["--username", BENCH_USER, "--password-file", password_file,
                       "--topic-prefix", TOPIC_PREFIX],
    }


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: tools/bench_features.py BUILD_DIR [WORK_DIR]")
    work_dir = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="arkmq-bench-")
    mode = sys.argv[3] if len(sys.argv) > 3 else "all"
    print(json.dumps(make_feature_store(sys.argv[1], work_dir, mode), indent=2))

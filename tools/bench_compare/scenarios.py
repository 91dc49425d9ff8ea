"""The rows bench-compare prints: a name, arkmq-bench arguments, and how the row is run.
64-byte payloads unless stated (issue 7's targets); docs/bench.md says what each target row means.

kind:
  compare    arkmq vs Mosquitto, same arguments (the default)
  half_rate  latency at half of Mosquitto's maximum rate for one pair, measured in the same run
  features   arkmq with permissions, quotas and the audit journal on vs arkmq with them off
tls: both brokers get an mqtts:// listener and arkmq-bench --cafile (or bench_args' --insecure).
modes: reqresp rows, how each broker is driven ("services": $svc/ calls, "plain": MQTT 5).
group: "tcp" rows run by default; "tls", "features" and "large" rows with --tls, --features,
--large (or --all), or when --only names them exactly.
"""
from dataclasses import dataclass, field

FANIN = ["--scenario", "fanin", "--clients", "4", "--qos", "0"]
PAIRS0 = ["--scenario", "pairs", "--clients", "4", "--qos", "0"]
PAIRS1 = ["--scenario", "pairs", "--clients", "4", "--qos", "1"]
FANOUT0 = ["--scenario", "fanout", "--clients", "50", "--qos", "0"]
# One pair, unthrottled: the broker's maximum rate for one publisher (half_rate rows).
ONE_PAIR_MAX = ["--scenario", "pairs", "--clients", "1", "--qos", "0"]


@dataclass
class Scenario:
    name: str
    args: list
    kind: str = "compare"
    tls: bool = False
    modes: dict = field(default_factory=dict)
    group: str = "tcp"

    def __post_init__(self):
        if self.group == "tcp" and (self.tls or self.kind == "features"):
            self.group = "features" if self.kind == "features" else "tls"


SCENARIOS = [
    Scenario("fanin 4 QoS 0", FANIN),
    Scenario("pairs 4 QoS 0", PAIRS0),
    Scenario("fanout 50 QoS 0", FANOUT0),
    Scenario("pairs 4 QoS 1", PAIRS1),
    Scenario("fanout 50 QoS 1", ["--scenario", "fanout", "--clients", "50", "--qos", "1"]),
    Scenario("fanout 50 QoS 0 at 10k/s", FANOUT0 + ["--rate", "10000"]),
    Scenario("latency 2k/s", ["--scenario", "latency", "--rate", "2000"]),
    Scenario("latency at half Mosquitto's max", ["--scenario", "latency"], kind="half_rate"),
    Scenario("connect 4", ["--scenario", "connect", "--clients", "4"]),
    Scenario("idle 1000", ["--scenario", "idle", "--clients", "1000"]),
    # The largest idle count this machine allows (RLIMIT_NOFILE hard limit 20,000 here), spread
    # over 4 loopback source addresses as 100,000 would be.
    Scenario("idle 19000", ["--scenario", "idle", "--clients", "19000", "--sources", "4"],
             group="large"),
    # Service calls: arkmq through its $svc/ layer (users and grants made with arkmqctl, every
    # call permission-checked), Mosquitto as plain MQTT 5 request/response; then both plain.
    Scenario("reqresp 4 callers x1", ["--scenario", "reqresp", "--clients", "4", "--inflight", "1"],
             modes={"arkmq": "services", "mosquitto": "plain"}),
    Scenario("reqresp 4 callers x16",
             ["--scenario", "reqresp", "--clients", "4", "--inflight", "16"],
             modes={"arkmq": "services", "mosquitto": "plain"}),
    Scenario("reqresp plain 4 callers x16",
             ["--scenario", "reqresp", "--clients", "4", "--inflight", "16"],
             modes={"arkmq": "plain", "mosquitto": "plain"}),
    # The same over TLS (issue 7: "the same ratios over TLS"; handshakes/s 1.5x; memory per TLS
    # connection no more than Mosquitto's). connect TLS --insecure skips the bench's certificate
    # check: if it is much faster, the client, not the broker, bounds the handshake rate.
    Scenario("fanin 4 QoS 0 TLS", FANIN, tls=True),
    Scenario("pairs 4 QoS 0 TLS", PAIRS0, tls=True),
    Scenario("fanout 50 QoS 0 TLS", FANOUT0, tls=True),
    Scenario("pairs 4 QoS 1 TLS", PAIRS1, tls=True),
    Scenario("connect 4 TLS", ["--scenario", "connect", "--clients", "4"], tls=True),
    Scenario("connect 4 TLS --insecure", ["--scenario", "connect", "--clients", "4", "--insecure"],
             tls=True),
    Scenario("idle 1000 TLS", ["--scenario", "idle", "--clients", "1000"], tls=True),
    # arkmq with its features on against itself with them off (target: at most 15% below).
    Scenario("features on: fanin 4 QoS 0", FANIN, kind="features"),
    Scenario("features on: pairs 4 QoS 0", PAIRS0, kind="features"),
    Scenario("features on: pairs 4 QoS 1", PAIRS1, kind="features"),
    Scenario("features on: pairs 4 QoS 0 TLS", PAIRS0, kind="features", tls=True),
]


def selected(groups, only):
    """The scenarios of GROUPS whose name contains one of ONLY (all of them without ONLY), and
    any scenario ONLY names exactly."""
    def wanted(s):
        if only and s.name in only:
            return True
        return s.group in groups and (not only or any(o in s.name for o in only))
    return [s for s in SCENARIOS if wanted(s)]

"""Starting arkmq-broker and Mosquitto for one run: a fresh broker per run on a free loopback port,
TCP or TLS (a throwaway PKI from tools/dev-pki.sh), pinned to a CPU, with its open-file soft limit
raised to the hard limit; and the broker's CPU time from /proc."""
import os
import resource
import shutil
import socket
import subprocess
import time

TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime (fields 14 and 15)


def pinned(cpu, argv):
    if cpu is None or shutil.which("taskset") is None:
        return argv
    return ["taskset", "-c", str(cpu)] + argv


def raise_nofile():
    """In the child before exec: soft RLIMIT_NOFILE = hard (idle runs hold thousands of sockets)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def make_pki(work):
    """A CA and a server certificate for 127.0.0.1 in WORK/pki; returns the directory.
    Readable by all: Mosquitto started as root drops to user mosquitto before loading them."""
    pki = os.path.join(work, "pki")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dev-pki.sh")
    subprocess.run(["bash", script, pki], check=True, capture_output=True)
    os.chmod(work, 0o755)
    os.chmod(pki, 0o755)
    for name in os.listdir(pki):
        os.chmod(os.path.join(pki, name), 0o644)  # throwaway keys
    return pki


def wait_listening(port, proc, deadline_s=10.0):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"broker exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"broker not listening on {port} after {deadline_s} s")


def arkmq_config(extra=""):
    """arkmq's TOML: no connection-rate bans (the bench opens connections in loops), then EXTRA
    (the features store's settings); merged when EXTRA has its own [flow_control] table."""
    ours = "max_connections_per_window = 0\n"
    if "[flow_control]" in extra:
        return extra.replace("[flow_control]\n", "[flow_control]\n" + ours, 1)
    return "[flow_control]\n" + ours + extra


class Broker:
    """One running broker: kind ("arkmq" or "mosquitto"), proc, port, url."""

    def __init__(self, kind, proc, port, tls):
        self.kind, self.proc, self.port, self.tls = kind, proc, port, tls
        self.url = f"{'mqtts' if tls else 'mqtt'}://127.0.0.1:{port}"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start(kind, build, work, cpu, tls_pki=None, features=None, data_dir=None):
    """Starts KIND fresh. tls_pki: the PKI directory for an mqtts:// listener. features: the
    features store (bench_features contract) for arkmq; data_dir: arkmq's --data-dir."""
    port = free_port()
    scheme = "mqtts" if tls_pki else "mqtt"
    if kind == "arkmq":
        conf = os.path.join(work, "arkmq.toml")
        with open(conf, "w") as f:
            f.write(arkmq_config(features["config"] if features else ""))
        argv = [os.path.join(build, "broker/app/arkmq-broker"), "-c", conf,
                "--listen", f"{scheme}://127.0.0.1:{port}", "--log-level", "warn"]
        if tls_pki:
            argv += ["--tls-cert", os.path.join(tls_pki, "server.pem"),
                     "--tls-key", os.path.join(tls_pki, "server.key")]
        if features:
            argv += list(features["broker_args"])  # instead of anonymous + allow
        else:
            argv += ["--allow-anonymous", "--acl-default", "allow"]
        if data_dir:
            argv += ["--data-dir", data_dir]
    else:
        conf = os.path.join(work, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n"
                    "persistence false\nmax_connections -1\n")
            if tls_pki:
                f.write(f"cafile {tls_pki}/ca.pem\ncertfile {tls_pki}/server.pem\n"
                        f"keyfile {tls_pki}/server.key\ntls_version tlsv1.2\n")
        argv = ["mosquitto", "-c", conf]
    log = open(os.path.join(work, f"{kind}.log"), "w")
    proc = subprocess.Popen(pinned(cpu, argv), stdout=log, stderr=subprocess.STDOUT,
                            preexec_fn=raise_nofile)
    log.close()
    try:
        wait_listening(port, proc)
    except RuntimeError:
        proc.kill()
        proc.wait()
        raise
    return Broker(kind, proc, port, bool(tls_pki))

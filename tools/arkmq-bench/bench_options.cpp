// arkmq-bench options: CLI11 declarations, then the checks CLI11 cannot express.
#include "tools/arkmq-bench/bench_options.hpp"

#include <CLI/CLI.hpp>

#include <charconv>
#include <map>

#include "tools/arkmq-bench/stamp.hpp"

namespace arkmq::bench {

const char* to_string(Scenario scenario) {
  switch (scenario) {
    case Scenario::pairs: return "pairs";
    case Scenario::fanin: return "fanin";
    case Scenario::fanout: return "fanout";
    case Scenario::latency: return "latency";
    case Scenario::connect: return "connect";
    case Scenario::idle: return "idle";
    case Scenario::reqresp: return "reqresp";
  }
  return "?";
}

tl::expected<BrokerUrl, std::string> parse_broker_url(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return tl::make_unexpected("bad --broker URL '" + text + "': " + why);
  };
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string::npos) return bad("expected mqtt://host[:port] or mqtts://host[:port]");
  const std::string scheme = text.substr(0, scheme_end);
  BrokerUrl url;
  if (scheme == "mqtt" || scheme == "tcp") {
    url.tls = false;
  } else if (scheme == "mqtts" || scheme == "ssl") {
    url.tls = true;
  } else {
    return bad("unknown scheme '" + scheme + "' (mqtt or mqtts)");
  }
  std::string rest = text.substr(scheme_end + 3);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find('/') != std::string::npos) return bad("a path is not allowed");
  std::string port_text;
  if (!rest.empty() && rest.front() == '[') {  // [v6 address]:port
    const auto close = rest.find(']');
    if (close == std::string::npos) return bad("unterminated '['");
    url.host = rest.substr(1, close - 1);
    const std::string after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("expected ':' after ']'");
      port_text = after.substr(1);
      if (port_text.empty()) return bad("empty port");
    }
  } else {
    const auto colon = rest.rfind(':');
    url.host = rest.substr(0, colon);
    if (colon != std::string::npos) {
      port_text = rest.substr(colon + 1);
      if (port_text.empty()) return bad("empty port");
    }
  }
  if (url.host.empty()) return bad("no host");
  url.port = url.tls ? 8883 : 1883;
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535) {
      return bad("port must be 1-65535");
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  return url;
}

namespace {

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

// reqresp's own checks; "" when all is well.
std::string validate_reqresp(const BenchOptions& o) {
  if (o.protocol != 5) return "reqresp needs MQTT 5 (Response Topic, Correlation Data): --protocol 5";
  if (o.inflight == 0 || o.inflight > 65535) return "--inflight must be 1-65535";
  if (!(o.call_timeout_s > 0) || o.call_timeout_s > 60) return "--call-timeout must be in (0, 60] seconds";
  if (o.node_password && !o.node_username) return "--node-password needs --node-username";
  if (!o.node_password_file.empty() && !o.node_username) {
    return "--node-password-file needs --node-username";
  }
  if (!o.node_password_file.empty() && o.node_password) {
    return "--node-password and --node-password-file exclude each other";
  }
  if (o.node_cert.empty() != o.node_key.empty()) return "--node-cert and --node-key go together";
  if (!o.node_cert.empty() && !o.broker.tls) return "--node-cert needs an mqtts:// broker URL";
  if (!o.plain_reqresp && o.node_name.empty()) {
    return "reqresp needs the node's principal: --node-username, --node-name or --username "
           "(or --plain-reqresp for a broker without services)";
  }
  if (o.node_name.find_first_of("/+#*") != std::string::npos || o.node_name.rfind('$', 0) == 0 ||
      o.node_name.rfind('%', 0) == 0) {
    return "--node-name must not contain / + # * nor start with $ or %";
  }
  return "";
}

// Checks across options; "" when all is well.
std::string validate(const BenchOptions& o, bool rate_given) {
  if (o.clients == 0) return "--clients must be at least 1";
  if (o.clients > 1'000'000) return "--clients must be at most 1000000";
  if (o.size < 16) return "--size must be at least 16 (the sequence number and send time)";
  if (o.size > 100'000'000) return "--size must be at most 100000000";
  if (o.qos != 0 && o.qos != 1) return "--qos must be 0 or 1";
  if (o.protocol != 4 && o.protocol != 5) return "--protocol must be 4 (MQTT 3.1.1) or 5 (MQTT 5.0)";
  if (!(o.duration_s > 0) || o.duration_s > 86'400) return "--duration must be in (0, 86400] seconds";
  if (!(o.warmup_s >= 0) || o.warmup_s > 3'600) return "--warmup must be in [0, 3600] seconds";
  if (!(o.rate >= 0) || o.rate > 1e9) return "--rate must be in [0, 1e9] messages/s";
  if (o.scenario == Scenario::latency && rate_given && o.rate == 0) {
    return "--rate must be above 0 for the latency scenario";
  }
  if (o.window == 0 || o.window > 65535) return "--window must be 1-65535";
  if (o.scenario == Scenario::fanin && o.clients >= max_publishers) {
    return "--clients too large for fanin";
  }
  if (!o.broker.tls && (!o.cafile.empty() || !o.cert.empty() || !o.key.empty() || o.insecure)) {
    return "--cafile/--cert/--key/--insecure need an mqtts:// broker URL";
  }
  if (o.cert.empty() != o.key.empty()) return "--cert and --key go together";
  if (o.password && !o.username) return "--password needs --username";
  if (!o.password_file.empty() && !o.username) return "--password-file needs --username";
  if (!o.password_file.empty() && o.password) return "--password and --password-file exclude each other";
  if (o.scenario == Scenario::reqresp) {
    if (const std::string problem = validate_reqresp(o); !problem.empty()) return problem;
  } else if (o.node_username || o.node_password || !o.node_password_file.empty() ||
             !o.node_cert.empty() || !o.node_name.empty() || o.plain_reqresp) {
    return "--node-* and --plain-reqresp are options of the reqresp scenario";
  }
  if (o.broker_pid < 0) return "--broker-pid must be a process id";
  if (o.sources > 250) return "--sources must be 0-250 (127.0.0.2 to 127.0.0.251)";
  if (o.sources > 0 && o.scenario != Scenario::idle) return "--sources is an option of the idle scenario";
  return "";
}

}  // namespace

tl::expected<BenchOptions, UsageError> parse_options(const std::vector<std::string>& args) {
  BenchOptions o;
  CLI::App app{"arkmq-bench: MQTT load generator (pairs, fanin, fanout, latency, connect, idle, reqresp)",
               "arkmq-bench"};
  const std::map<std::string, Scenario> scenarios{
      {"pairs", Scenario::pairs},     {"fanin", Scenario::fanin}, {"fanout", Scenario::fanout},
      {"latency", Scenario::latency}, {"connect", Scenario::connect}, {"idle", Scenario::idle},
      {"reqresp", Scenario::reqresp}};
  std::string username;
  std::string password;
  app.add_option("--broker", o.broker_text, "mqtt://host[:port] or mqtts://host[:port]")->required();
  std::string scenario_name;
  app.add_option("--scenario", scenario_name, "pairs|fanin|fanout|latency|connect|idle|reqresp")
      ->required();
  app.add_option("--clients", o.clients, "pairs, publishers (fanin), subscribers (fanout), "
                                         "concurrent connectors (connect), connections (idle), callers (reqresp)");
  app.add_option("--qos", o.qos, "0 or 1");
  app.add_option("--size", o.size, "payload bytes (>= 16)");
  auto* rate = app.add_option("--rate", o.rate, "messages/s per publisher (0: unthrottled; "
                                                "latency: default 1000)");
  app.add_option("--duration", o.duration_s, "measured seconds");
  app.add_option("--warmup", o.warmup_s, "seconds of load before measuring");
  app.add_flag("--json", o.json, "one JSON object on stdout instead of the text summary");
  auto* protocol_option = app.add_option("--protocol", o.protocol, "4 (MQTT 3.1.1) or 5 (MQTT 5.0)");
  auto* user = app.add_option("--username", username, "CONNECT user name");
  auto* pass = app.add_option("--password", password, "CONNECT password");
  app.add_option("--cafile", o.cafile, "CA certificates (PEM) to verify the broker with");
  app.add_option("--cert", o.cert, "client certificate (PEM)");
  app.add_option("--key", o.key, "client private key (PEM)");
  app.add_flag("--insecure", o.insecure, "do not verify the broker's certificate");
  app.add_option("--threads", o.threads, "io threads (default: one per core)");
  app.add_option("--window", o.window, "QoS 1 publishes in flight per publisher");
  app.add_option("--broker-pid", o.broker_pid, "idle: the broker's pid, to report memory per connection");
  app.add_option("--topic-prefix", o.topic_prefix, "first topic level of every benchmark topic");
  app.add_option("--password-file", o.password_file, "CONNECT password: the file's first line");
  app.add_option("--sources", o.sources,
                 "idle: spread connections over N loopback source addresses 127.0.0.2... "
                 "(0: one per 20000 connections when the broker is on 127.x)");
  app.add_option("--inflight", o.inflight, "reqresp: calls outstanding per caller (1)");
  app.add_option("--call-timeout", o.call_timeout_s, "reqresp: seconds before a call is a timeout (5)");
  app.add_flag("--plain-reqresp", o.plain_reqresp,
               "reqresp on ordinary topics (plain MQTT 5 request/response, any broker)");
  std::string node_username;
  std::string node_password;
  auto* node_user = app.add_option("--node-username", node_username, "reqresp: the node's user name");
  auto* node_pass = app.add_option("--node-password", node_password, "reqresp: the node's password");
  app.add_option("--node-password-file", o.node_password_file,
                 "reqresp: the node's password, the file's first line");
  app.add_option("--node-cert", o.node_cert, "reqresp: the node's client certificate (PEM)");
  app.add_option("--node-key", o.node_key, "reqresp: the node's private key (PEM)");
  app.add_option("--node-name", o.node_name,
                 "reqresp: the node's principal (default: --node-username, else --username)");

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    return tl::make_unexpected(UsageError{0, app.help()});
  } catch (const CLI::ParseError& e) {
    return tl::make_unexpected(UsageError{2, first_line(e.what())});
  }
  const auto scenario = scenarios.find(scenario_name);
  if (scenario == scenarios.end()) {
    return tl::make_unexpected(UsageError{
        2, "--scenario must be one of pairs, fanin, fanout, latency, connect, idle, reqresp"});
  }
  o.scenario = scenario->second;
  if (user->count() > 0) o.username = username;
  if (pass->count() > 0) o.password = password;
  if (node_user->count() > 0) o.node_username = node_username;
  if (node_pass->count() > 0) o.node_password = node_password;
  if (o.scenario == Scenario::reqresp) {
    if (o.node_name.empty()) o.node_name = o.node_username.value_or(o.username.value_or(""));
    if (protocol_option->count() == 0) o.protocol = 5;  // request/response is MQTT 5
  }
  auto url = parse_broker_url(o.broker_text);
  if (!url) return tl::make_unexpected(UsageError{2, url.error()});
  o.broker = *url;
  const bool rate_given = rate->count() > 0;
  if (o.scenario == Scenario::latency && !rate_given) o.rate = 1000;
  if (const std::string problem = validate(o, rate_given); !problem.empty()) {
    return tl::make_unexpected(UsageError{2, problem});
  }
  if (o.scenario == Scenario::latency) o.clients = 1;  // one pair by definition
  return o;
}

}  // namespace arkmq::bench

// `arkmqctl call SERVICE METHOD`: one service call through the broker, as a cloud application
// makes it (docs/protocol.md, "Call" and "Reply"): MQTT 5 request/response into the caller's
// own inbox. The reply payload goes to stdout byte for byte; the status lines go to stderr.
// Exit 0 on `svc-status: ok`, 1 on any other status (or no reply), 2 on bad usage or when the
// broker cannot be reached.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "tools/arkmqctl/audit_escape.hpp"
#include "tools/arkmqctl/broker_client.hpp"
#include "tools/arkmqctl/checks.hpp"
#include "tools/arkmqctl/commands.hpp"

namespace arkmq::ctl {

namespace {

using Clock = std::chrono::steady_clock;
// The broker answers `timeout` itself at the deadline; the margin covers that reply's trip.
constexpr auto kReplyMargin = std::chrono::seconds(2);
constexpr auto kDefaultDeadline = std::chrono::seconds(10);  // the broker's default
// After a PUBACK with an error code the `denied` (or other) reply follows at once; a broker
// that sends none is not waited for until the full deadline.
constexpr auto kAfterRefusal = std::chrono::seconds(2);

struct CallOptions {
  BrokerOptions broker;
  std::string service;
  std::string method;
  std::string node;
  std::string data;
  std::string data_file;
  std::string content_type;
  double timeout_s = 0;
  CLI::Option* node_option = nullptr;
  CLI::Option* data_option = nullptr;
  CLI::Option* data_file_option = nullptr;
  CLI::Option* timeout_option = nullptr;
};

tl::expected<std::string, Failure> request_payload(const CallOptions& o) {
  if (o.data_option->count() > 0 && o.data_file_option->count() > 0) {
    return usage_error("choose one of --data, --data-file");
  }
  if (o.data_option->count() > 0) return o.data;
  if (o.data_file_option->count() == 0) return std::string();
  if (o.data_file == "-") {
    if (o.broker.password_stdin) return usage_error("--data-file - and --password-stdin both read stdin");
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(o.data_file, std::ios::binary);
  if (!in) return usage_error("--data-file " + o.data_file + ": cannot open it");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// --timeout in whole milliseconds, 1..60000 as the broker accepts (docs/protocol.md).
tl::expected<std::optional<std::int64_t>, Failure> timeout_ms(const CallOptions& o) {
  if (o.timeout_option->count() == 0) return std::nullopt;
  const double ms = std::round(o.timeout_s * 1000.0);
  if (!(ms >= 1.0 && ms <= 60000.0)) {
    return usage_error("--timeout must be 0.001 to 60 seconds");
  }
  return static_cast<std::int64_t>(ms);
}

// The reply's status lines on stderr: svc-status first, then svc-error, svc-node,
// svc-latency-ms, then every other property the node added (http-status, ...), escaped.
void print_status(const ReceivedMessage& reply) {
  static const std::vector<std::string> kFirst = {"svc-status", "svc-error", "svc-node",
                                                  "svc-latency-ms"};
  for (const auto& name : kFirst) {
    if (auto value = reply.user_property(name)) {
      std::cerr << name << ": " << escape_text(*value) << '\n';
    }
  }
  for (const auto& [name, value] : reply.user_properties) {
    if (std::find(kFirst.begin(), kFirst.end(), name) != kFirst.end()) continue;
    std::cerr << escape_text(name) << ": " << escape_text(value) << '\n';
  }
  if (!reply.content_type.empty()) {
    std::cerr << "content-type: " << escape_text(reply.content_type) << '\n';
  }
  std::cerr.flush();
}

Outcome run_call(const Context& ctx, const CallOptions& o) {
  if (auto ok = check_name("service", o.service); !ok) return ok;
  if (auto ok = check_name("method", o.method); !ok) return ok;
  if (o.node_option->count() > 0) {
    if (auto ok = check_name("node", o.node); !ok) return ok;
  }
  auto payload = request_payload(o);
  if (!payload) return tl::unexpected(payload.error());
  auto deadline_ms = timeout_ms(o);
  if (!deadline_ms) return tl::unexpected(deadline_ms.error());

  auto client = BrokerClient::connect(ctx, o.broker, true);
  if (!client) return tl::unexpected(client.error());
  const auto& inbox = client->response_information();
  if (!inbox || inbox->empty()) {
    return tl::unexpected(Failure{
        kExitNoBroker, "the broker gave no inbox (no Response Information in CONNACK): it does "
                       "not offer service calls, or client id '" +
                           escape_text(client->client_id()) + "' cannot have one"});
  }
  if (auto subscribed = client->subscribe(*inbox + "#"); !subscribed) {
    return tl::unexpected(subscribed.error());
  }

  OutgoingCall call;
  call.topic = "$svc/call/" + o.service + "/" + o.method;
  call.payload = std::move(*payload);
  call.response_topic = *inbox + "call-" + random_hex(8);
  call.correlation_data = random_hex(16);
  call.content_type = o.content_type;
  if (*deadline_ms) call.user_properties.emplace_back("svc-timeout-ms", std::to_string(**deadline_ms));
  if (o.node_option->count() > 0) call.user_properties.emplace_back("svc-node", o.node);

  Clock::duration wait = (*deadline_ms ? std::chrono::milliseconds(**deadline_ms)
                                        : std::chrono::milliseconds(kDefaultDeadline)) +
                         kReplyMargin;
  const auto started = Clock::now();
  auto puback = client->publish(call);
  if (!puback) return tl::unexpected(puback.error());
  const int refusal = *puback >= 0x80 ? *puback : 0;
  if (refusal != 0) {
    std::cerr << "puback: " << reason_text(refusal) << '\n';
    wait = std::min<Clock::duration>(wait, Clock::now() - started + kAfterRefusal);
  }
  const auto until = started + wait;
  while (true) {
    auto reply = client->next(until);
    if (!reply) break;
    // Only our reply: the inbox may hold answers to earlier calls of a reused client id.
    if (reply->topic != call.response_topic || reply->correlation_data != call.correlation_data) {
      continue;
    }
    std::cout.write(reply->payload.data(), static_cast<std::streamsize>(reply->payload.size()));
    std::cout.flush();
    print_status(*reply);
    const auto status = reply->user_property("svc-status");
    if (!status) return operation_error("the reply carries no svc-status");
    if (*status == "ok") return {};
    return operation_error(o.service + "." + o.method + " failed: " + escape_text(*status));
  }
  if (client->connection_lost()) {
    return operation_error("the broker closed the connection before the reply came");
  }
  if (refusal != 0) {
    return operation_error("the broker refused the call (" + reason_text(refusal) +
                           ") and sent no reply");
  }
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(wait).count();
  return operation_error("timeout: no reply within " + std::to_string(waited) + " ms");
}

}  // namespace

void add_call_command(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<CallOptions>();
  auto* call = app.add_subcommand(
      "call",
      "Call SERVICE METHOD through the broker (MQTT 5): the reply payload on stdout, its status "
      "on stderr; exit 0 on status ok, 1 on any other status, 2 on bad usage or no broker");
  call->add_option("SERVICE", o->service, "Service name")->required();
  call->add_option("METHOD", o->method, "Method name")->required();
  o->node_option = call->add_option("--node", o->node, "Ask this node (no fallback to others)");
  o->data_option = call->add_option("--data", o->data, "The request payload (default: empty)");
  o->data_file_option = call->add_option(
      "--data-file", o->data_file, "Read the request payload from this file ('-': stdin)");
  call->add_option("--content-type", o->content_type,
                   "Content Type of the request (an HTTP backend passes it on)");
  o->timeout_option =
      call->add_option("--timeout", o->timeout_s,
                       "Deadline in seconds (0.001 to 60; default: the broker's, 10)");
  add_broker_options(call, o->broker);
  ctx.on_run(call, [&ctx, o] { return run_call(ctx, *o); });
}

}  // namespace arkmq::ctl

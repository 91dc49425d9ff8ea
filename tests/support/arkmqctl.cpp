// arkmqctl runner, reload waits on the broker log, logged-in raw clients, certificates with
// chosen CNs.
#include "tests/support/arkmqctl.hpp"

#include <regex>
#include <stdexcept>

#include "tests/support/paho_helpers.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace arkmq::test {

using namespace std::chrono_literals;

namespace {
constexpr int kPublish = 3, kPuback = 4, kPubrec = 5, kPubrel = 6, kPubcomp = 7, kSuback = 9;

std::string joined(const std::vector<std::string>& args) {
  std::string line;
  for (const auto& arg : args) line += (line.empty() ? "" : " ") + arg;
  return line;
}
}  // namespace

std::string arkmqctl_path() { return ARKMQ_ARKMQCTL_BINARY; }

std::string ArkmqctlResult::describe() const {
  return (timed_out ? std::string("timed out") : to_string(status)) + "\n--- stdout ---\n" + out +
         "--- stderr ---\n" + err;
}

ArkmqctlResult run_arkmqctl(const std::string& data_dir, const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout) {
  const std::string binary = arkmqctl_path();
  if (binary.empty()) throw std::runtime_error("arkmqctl was not built");
  std::vector<std::string> argv{binary, "--data-dir", data_dir};
  argv.insert(argv.end(), args.begin(), args.end());
  TempDir scratch("arkmqctl");
  const std::string err_path = scratch.file("stderr");
  const Deadline deadline(timeout);
  ArkmqctlResult result;
  {
    ChildProcess child(argv, err_path);
    child.read_to_eof(deadline);
    auto status = child.wait(deadline);
    if (!status) {
      result.timed_out = true;
      child.kill_and_reap();
      status = child.wait(Deadline(1s));
    }
    if (status) result.status = *status;
    result.out = child.output();
  }
  result.err = read_file(err_path);
  return result;
}

std::vector<PolicyReload> policy_reloads(const BrokerProcess& broker) {
  static const std::regex reloaded(
      R"(policy reloaded: generation ([0-9]+), ([0-9]+) rules, ([0-9]+) users)");
  const std::string log = broker.log_text();
  std::vector<PolicyReload> reloads;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), reloaded);
       it != std::sregex_iterator(); ++it) {
    reloads.push_back({std::stoull((*it)[1].str()), std::stoul((*it)[2].str()),
                       std::stoul((*it)[3].str())});
  }
  return reloads;
}

namespace {

PolicyReload latest_reload(const BrokerProcess& broker) {
  const auto reloads = policy_reloads(broker);
  return reloads.empty() ? PolicyReload{} : reloads.back();
}

// The rule or user count a command leads to, for commands that change one: a reload showing it
// includes the command. Only the count the command is about: removing a user may remove rules too.
struct ExpectedCount {
  bool of_users = false;
  std::size_t value = 0;
  bool seen_in(const PolicyReload& reload) const {
    return (of_users ? reload.users : reload.rules) == value;
  }
};

std::optional<ExpectedCount> expected_count(const PolicyReload& before,
                                            const std::vector<std::string>& args) {
  std::vector<std::string> words;  // the command words, without global options
  for (const auto& arg : args) {
    if (arg.rfind("--", 0) != 0) words.push_back(arg);
    if (words.size() == 2) break;
  }
  if (words.size() < 2) return std::nullopt;
  if (words[0] == "user" && words[1] == "add") return ExpectedCount{true, before.users + 1};
  if (words[0] == "user" && words[1] == "remove") return ExpectedCount{true, before.users - 1};
  if (words[0] == "acl" && words[1] == "add") return ExpectedCount{false, before.rules + 1};
  if (words[0] == "acl" && words[1] == "remove") return ExpectedCount{false, before.rules - 1};
  return std::nullopt;  // roles, passwords, grants: a newer generation is all there is to see
}

}  // namespace

PolicyAdmin::PolicyAdmin(const BrokerProcess& broker)
    : broker_(broker), data_dir_(broker.data_dir()) {
  if (data_dir_.empty()) throw std::runtime_error("PolicyAdmin needs a broker with a data dir");
}

ArkmqctlResult PolicyAdmin::run(const std::vector<std::string>& args) const {
  return run_arkmqctl(data_dir_, args);
}

std::string PolicyAdmin::change(const std::vector<std::string>& args) {
  const PolicyReload before = latest_reload(broker_);
  const ArkmqctlResult result = run(args);
  if (!result.ok()) {
    throw std::runtime_error("arkmqctl " + joined(args) + " failed: " + result.describe());
  }
  wait_for_reload(before, args);
  return result.out;
}

void PolicyAdmin::wait_for_reload(const PolicyReload& before,
                                  const std::vector<std::string>& args) const {
  const auto expected = expected_count(before, args);
  auto includes_change = [&] {
    for (const auto& reload : policy_reloads(broker_)) {
      if (reload.generation > before.generation && (!expected || expected->seen_in(reload))) {
        return true;
      }
    }
    return false;
  };
  // The broker polls the store every 250 ms; 10 s is forty polls. Each round blocks on the next
  // generation's log line; the scan covers lines that appeared in between.
  const Deadline deadline(10s);
  for (std::uint64_t next = before.generation + 1; !deadline.expired();) {
    if (includes_change()) return;
    if (broker_.wait_for_log("policy reloaded: generation " + std::to_string(next) + ",", 200ms)) {
      ++next;
    }
  }
  if (includes_change()) return;
  throw std::runtime_error("no 'policy reloaded' line for arkmqctl " + joined(args) +
                           " within 10 s (after generation " +
                           std::to_string(before.generation) + ")\n--- broker log tail ---\n" +
                           tail_lines(broker_.log_text(), 20));
}

void PolicyAdmin::add_user(const std::string& name, const std::string& password,
                           const std::vector<std::string>& roles,
                           const std::vector<std::string>& extra) {
  std::vector<std::string> args{"user", "add", name, "--password", password};
  for (const auto& role : roles) args.insert(args.end(), {"--role", role});
  args.insert(args.end(), extra.begin(), extra.end());
  change(args);
}

std::int64_t PolicyAdmin::add_rule(const std::vector<std::string>& args) {
  std::vector<std::string> full{"--json", "acl", "add"};
  full.insert(full.end(), args.begin(), args.end());
  const std::string out = change(full);
  static const std::regex id(R"("id"\s*:\s*([0-9]+))");
  std::smatch m;
  if (!std::regex_search(out, m, id)) {
    throw std::runtime_error("arkmqctl acl add --json printed no \"id\": " + out);
  }
  return std::stoll(m[1].str());
}

void PolicyAdmin::remove_rule(std::int64_t id) { change({"acl", "remove", std::to_string(id)}); }

wire::ConnectSpec login_spec(int version, const std::string& client_id,
                             std::optional<std::string> username,
                             std::optional<std::string> password) {
  wire::ConnectSpec spec = wire::connect_spec(version, client_id);
  spec.username = std::move(username);
  spec.password = std::move(password);
  return spec;
}

std::optional<std::uint8_t> connack_reason(std::uint16_t port, const wire::ConnectSpec& spec) {
  RawClient client(port);
  const auto frame = client.connect(spec, Deadline(5s));
  if (!frame) return std::nullopt;
  const auto view = wire::parse_connack(*frame, spec.version == 5 ? 5 : 4);
  if (!view) return std::nullopt;
  return view->reason;
}

UserSession::UserSession(std::uint16_t port, const wire::ConnectSpec& spec)
    : client_(port), version_(spec.version == 5 ? 5 : 4) {
  const auto frame = client_.connect(spec, Deadline(5s));
  if (!frame) throw std::runtime_error("no CONNACK for " + spec.client_id);
  const auto view = wire::parse_connack(*frame, version_);
  if (!view || view->reason != 0) {
    throw std::runtime_error("CONNECT refused for " + spec.client_id + " (user " +
                             spec.username.value_or("none") + "), code " +
                             std::to_string(view ? view->reason : -1));
  }
}

std::uint16_t UserSession::next_id() {
  packet_id_ = static_cast<std::uint16_t>(packet_id_ % 65535 + 1);
  return packet_id_;
}

std::optional<wire::Frame> UserSession::await(int type, const Deadline& deadline) {
  // Bounded by the deadline and by a frame count far above what any test exchanges.
  for (int i = 0; i < 100'000; ++i) {
    const ReadResult result = client_.receive(deadline);
    if (result.status != ReadStatus::frame) return std::nullopt;
    if (result.frame.type() == type) return result.frame;
    const int got = result.frame.type();
    if (got == kPublish || got == kPubrel) kept_.push_back(result.frame);
  }
  return std::nullopt;
}

ReadResult UserSession::next_frame(const Deadline& deadline) {
  if (kept_.empty()) return client_.receive(deadline);
  ReadResult result{ReadStatus::frame, kept_.front()};
  kept_.pop_front();
  return result;
}

std::optional<std::uint8_t> UserSession::publish(const std::string& topic,
                                                 const std::string& payload, int qos,
                                                 bool retain) {
  const std::uint16_t id = qos > 0 ? next_id() : 0;
  if (!client_.send(wire::publish(version_, topic, payload, qos, id, retain))) return std::nullopt;
  if (qos == 0) return 0;
  const Deadline deadline(5s);
  auto ack = await(qos == 1 ? kPuback : kPubrec, deadline);
  if (!ack) return std::nullopt;
  const std::uint8_t reason = wire::ack_reason(*ack);
  if (qos == 2 && reason < 0x80) {
    client_.send(wire::ack(0x62, id));
    if (!await(kPubcomp, deadline)) return std::nullopt;
  }
  return reason;
}

std::vector<std::uint8_t> UserSession::subscribe(const std::string& filter,
                                                 std::uint8_t options) {
  client_.send(wire::subscribe(version_, next_id(), filter, options));
  auto suback = await(kSuback, Deadline(5s));
  if (!suback) return {};
  return wire::parse_ack_reasons(*suback, version_);
}

std::optional<wire::PublishView> UserSession::next_publish(const Deadline& deadline) {
  for (;;) {
    const ReadResult result = next_frame(deadline);
    if (result.status != ReadStatus::frame) return std::nullopt;
    const wire::Frame& frame = result.frame;
    if (frame.type() == kPubrel) {
      client_.send(wire::ack(0x70, wire::packet_id_of(frame)));
      continue;
    }
    auto view = wire::parse_publish(frame, version_);
    if (!view) continue;
    if (view->qos == 1) client_.send(wire::ack(0x40, view->packet_id));
    if (view->qos == 2) client_.send(wire::ack(0x50, view->packet_id));
    return view;
  }
}

UserSession::Received UserSession::receive_until(const std::string& marker,
                                                 const Deadline& deadline) {
  Received received;
  // Bounded by the deadline and by a count far above what any test publishes.
  for (int i = 0; i < 10'000; ++i) {
    auto message = next_publish(deadline);
    if (!message) break;
    received.messages.push_back(*message);
    if (message->payload == marker) {
      received.marker_seen = true;
      break;
    }
  }
  return received;
}

void UserSession::disconnect() { client_.send(wire::disconnect(version_)); }

std::vector<std::string> topics_of(const std::vector<wire::PublishView>& messages) {
  std::vector<std::string> topics;
  for (const auto& message : messages) topics.push_back(message.topic);
  return topics;
}

CertKey issue_client_cert(const TestPki& pki, const std::string& file_stem,
                          const std::string& common_name) {
  // openssl's -subj syntax: `/` separates RDNs and `+` joins multi-valued ones, so both (and the
  // escape character itself) are backslash-escaped to reach the certificate literally.
  std::string subject = "/CN=";
  for (char c : common_name) {
    if (c == '/' || c == '+' || c == '\\' || c == '=' || c == ',') subject += '\\';
    subject += c;
  }
  const std::string base = pki.dir() + "/" + file_stem;
  write_file(base + ".ext",
             "basicConstraints = CA:FALSE\n"
             "keyUsage = critical,digitalSignature,keyEncipherment\n"
             "extendedKeyUsage = clientAuth\n");
  CertKey result{base + ".pem", base + ".key"};
  run_checked({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
               "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", result.key, "-out",
               base + ".csr", "-subj", subject});
  run_checked({"openssl", "x509", "-req", "-in", base + ".csr", "-CA", pki.ca(), "-CAkey",
               pki.dir() + "/ca.key", "-CAcreateserial", "-days", "2", "-extfile", base + ".ext",
               "-out", result.cert});
  return result;
}

void StoreTest::SetUp() {
  BrokerTest::SetUp();
  if (IsSkipped()) return;
  if (broker_kind_from_env() == BrokerKind::mosquitto) {
    GTEST_SKIP() << "arkmq-only: users and rules live in arkmq's store, edited with arkmqctl";
  }
  if (arkmqctl_path().empty()) GTEST_SKIP() << "arkmqctl is not built yet";
}

BrokerOptions StoreTest::store_options() {
  BrokerOptions options;
  options.with_data_dir = true;
  options.acl_default = "deny";
  options.allow_anonymous = false;
  return options;
}

PolicyAdmin& StoreTest::start_store_broker(BrokerOptions options) {
  start_broker(std::move(options));
  admin_ = std::make_unique<PolicyAdmin>(broker());
  return *admin_;
}

std::unique_ptr<UserSession> StoreTest::login(int version, const std::string& user,
                                              const std::string& password,
                                              const std::string& client_stem) {
  const std::string id = unique_client_id(client_stem.empty() ? user : client_stem);
  return std::make_unique<UserSession>(broker().port(), login_spec(version, id, user, password));
}

}  // namespace arkmq::test

// ServicesWorld: grants through arkmqctl, then arkmq-edge as edge-a; helpers for the tests.
#include "tests/support/services_world.hpp"

#include <cctype>

namespace arkmq::test {

using namespace std::chrono_literals;

std::string service_table(const std::string& name, const std::string& methods,
                          const std::string& backend, const std::string& extra) {
  return "[[service]]\nname = \"" + name + "\"\nversion = \"1.0\"\ndescription = \"" + name +
         " test service\"\nmethods = [" + methods + "]\nbackend = \"" + backend + "\"\n" + extra;
}

std::string announcement(const std::string& service) {
  return R"({"service": ")" + service +
         R"(", "version": "1.0", "methods": ["ping"], "available": true, "heartbeat_s": 30})";
}

bool contains_number(const std::string& text, std::uint16_t number) {
  const std::string digits = std::to_string(number);
  for (auto pos = text.find(digits); pos != std::string::npos; pos = text.find(digits, pos + 1)) {
    const bool left = pos == 0 || std::isdigit(static_cast<unsigned char>(text[pos - 1])) == 0;
    const std::size_t end = pos + digits.size();
    const bool right =
        end == text.size() || std::isdigit(static_cast<unsigned char>(text[end])) == 0;
    if (left && right) return true;
  }
  return false;
}

std::string scrubbed(std::string text, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    for (auto pos = text.find(id); pos != std::string::npos; pos = text.find(id, pos)) {
      text.replace(pos, id.size(), "<id>");
    }
  }
  return text;
}

ServicesWorld::ServicesWorld() {
  cloud.start();
  std::vector<std::vector<std::string>> changes{
      {"user", "add", "alice", "--password", kSvcAlicePassword},
      {"user", "add", "mallory", "--password", kSvcMalloryPassword}};
  for (const char* service : {"plc", "scale", "robot", "dead"}) {
    changes.push_back({"service", "grant", "--node", "edge-a", "--service", service});
  }
  changes.push_back({"service", "grant", "--node", "edge-b", "--service", "beacon"});
  for (const char* service : {"plc", "scale", "robot", "dead", "rogue-svc", "beacon"}) {
    changes.push_back({"service", "grant", "--user", "alice", "--service", service});
  }
  changes.push_back({"service", "grant", "--user", "carol", "--service", "plc"});
  cloud.apply(changes);

  watcher = alice("watcher");
  for (const char* service : {"plc", "scale", "robot", "dead", "rogue-svc", "beacon"}) {
    watcher->paho().subscribe(std::string("$svc/registry/") + service, 1);
  }
  edge = std::make_unique<EdgeProcess>(edge_a_config(), true);
}

ServicesWorld::~ServicesWorld() {
  edge.reset();  // before the broker: its withdrawal reaches a running cloud
  watcher.reset();
}

EdgeSpec ServicesWorld::edge_spec(const std::string& node, const CertKey& cert,
                                  const std::string& outbox_name) const {
  EdgeSpec spec;
  spec.node = node;
  spec.cert = cert;
  spec.ca = pki.ca();
  spec.cloud_url = cloud.mqtts_url();
  spec.local_url = site.mqtt_url();
  spec.outbox = dir.file(outbox_name);
  return spec;
}

std::string ServicesWorld::edge_a_config() const {
  EdgeSpec spec = edge_spec("edge-a", edge_a, "edge-a-outbox.db");
  const std::string http_url = "http://127.0.0.1:" + std::to_string(http.port()) + "/api";
  spec.services =
      service_table("plc", R"("echo", "fail", "slow")", http_url, "health_path = \"/health\"\n") +
      service_table("scale", R"("weigh")", "tcp://127.0.0.1:" + std::to_string(tcp.port())) +
      service_table("robot", R"("status")", site.mqtt_url(), "topic = \"robot/requests\"\n") +
      service_table("dead", R"("ping")", "tcp://127.0.0.1:" + std::to_string(dead_port));
  return edge_config(spec);
}

std::unique_ptr<Caller> ServicesWorld::alice(const std::string& stem) {
  return std::make_unique<Caller>(cloud.ssl_uri(), pki.ca(), stem,
                                  CallerAuth{nullptr, "alice", kSvcAlicePassword});
}

std::unique_ptr<Caller> ServicesWorld::mallory() {
  return std::make_unique<Caller>(cloud.ssl_uri(), pki.ca(), "mallory",
                                  CallerAuth{nullptr, "mallory", kSvcMalloryPassword});
}

std::unique_ptr<Caller> ServicesWorld::carol_caller() {
  return std::make_unique<Caller>(cloud.ssl_uri(), pki.ca(), "carol", CallerAuth{&carol, "", ""});
}

std::unique_ptr<PahoClient> ServicesWorld::raw_node(const CertKey& cert, const std::string& stem) {
  auto client = std::make_unique<PahoClient>(cloud.ssl_uri(), unique_client_id(stem), 5);
  client->connect(tls_v5_options(pki.ca(), CallerAuth{&cert, "", ""}));
  return client;
}

bool ServicesWorld::registry_lists(const std::string& service, const std::string& node,
                                   std::size_t from) {
  return wait_for_registry(
             watcher->paho().messages(), service,
             [&](const nlohmann::json& r) { return lists_available(r, node); }, 10s, from)
      .has_value();
}

}  // namespace arkmq::test

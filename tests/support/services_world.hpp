// The world 25_services_test.cpp shares across its tests: one TLS cloud broker with users and
// grants, one edge site (mosquitto), real HTTP/TCP/MQTT backends, arkmq-edge as node edge-a
// serving plc (HTTP), scale (TCP), robot (MQTT) and dead (a TCP port nothing listens on), and a
// registry watcher. Plus small helpers for edge configs and address scans. Test thread only
// (svc-system).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/edge_process.hpp"
#include "tests/support/service_backends.hpp"
#include "tests/support/services_fixture.hpp"

namespace arkmq::test {

inline constexpr const char* kSvcAlicePassword = "alice-svc-pw-7Hq2";
inline constexpr const char* kSvcMalloryPassword = "mallory-svc-pw-4Zp9";

// One [[service]] table of an arkmq-edge config.
std::string service_table(const std::string& name, const std::string& methods,
                          const std::string& backend, const std::string& extra = "");
// A valid announcement body for `service` (method "ping").
std::string announcement(const std::string& service);

// True when `text` contains `number` as a whole run of digits.
bool contains_number(const std::string& text, std::uint16_t number);
// `text` with every occurrence of `ids` replaced (the test's client ids hold a pid and a random
// number, which could look like a port).
std::string scrubbed(std::string text, const std::vector<std::string>& ids);

struct ServicesWorld {
  ServicesWorld();  // throws std::runtime_error (with logs) when a piece does not come up
  ~ServicesWorld();

  std::string edge_a_config() const;
  // An EdgeSpec for `node` on this world's cloud and site, without services.
  EdgeSpec edge_spec(const std::string& node, const CertKey& cert,
                     const std::string& outbox_name) const;

  std::unique_ptr<Caller> alice(const std::string& stem);  // password, many grants
  std::unique_ptr<Caller> mallory();                        // password, no grant
  std::unique_ptr<Caller> carol_caller();                   // certificate, granted plc
  // A raw MQTT 5 client authenticated by a node's certificate (not arkmq-edge).
  std::unique_ptr<PahoClient> raw_node(const CertKey& cert, const std::string& stem);
  // The registry of `service` lists `node` as available (within 10 s), from message `from` on.
  bool registry_lists(const std::string& service, const std::string& node,
                      std::size_t from = 0);

  TestPki pki;
  CertKey edge_a = issue_client_cert(pki, "edge-a", "edge-a");
  CertKey edge_b = issue_client_cert(pki, "edge-b", "edge-b");
  CertKey rogue = issue_client_cert(pki, "edge-rogue", "edge-rogue");
  CertKey carol = issue_client_cert(pki, "carol", "carol");
  TempDir dir{"arkmq-svc"};
  ServicesCloud cloud{pki};
  SiteBroker site;
  HttpBackend http;
  TcpFrameBackend tcp;
  MqttResponder mqtt{site.uri(), "robot/requests"};
  std::uint16_t dead_port = pick_free_port();  // nothing listens there
  std::unique_ptr<Caller> watcher;  // alice, subscribed to each registry topic before the edge
  std::unique_ptr<EdgeProcess> edge;
};

}  // namespace arkmq::test

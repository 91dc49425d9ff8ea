// Writes the decoder seed corpus (one valid packet per file, both versions) with our encoder.
// Usage: arkmq_fuzz_make_seeds OUTPUT_DIR. Run by hand; the output is committed under corpus/.
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "broker/protocol/codec.hpp"

using namespace arkmq::protocol;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  Properties reason;
  reason.reason_string = "why";
  reason.user_properties = {{"k", "v"}};

  Connect v5_connect;
  v5_connect.client_id = "client-1";
  v5_connect.keep_alive = 30;
  v5_connect.username = "user";
  v5_connect.password = "pass";
  v5_connect.properties.session_expiry_interval = 60;
  v5_connect.properties.receive_maximum = 10;
  v5_connect.properties.user_properties = {{"a", "b"}};
  v5_connect.will = Will{"will/topic", "bye", QoS::at_least_once, true, {}};
  v5_connect.will->properties.will_delay_interval = 5;
  v5_connect.will->properties.content_type = "text/plain";
  Connect v311_connect = v5_connect;
  v311_connect.version = ProtocolVersion::v311;
  v311_connect.properties = {};
  v311_connect.will->properties = {};

  Connack v5_connack;
  v5_connack.session_present = true;
  v5_connack.properties.assigned_client_identifier = "auto-1";
  v5_connack.properties.maximum_qos = 1;
  v5_connack.properties.topic_alias_maximum = 8;

  Publish publish{"sensors/a/temp", "21.5", QoS::exactly_once, true, true, 7, {}};
  Publish v5_publish = publish;
  v5_publish.properties.topic_alias = 2;
  v5_publish.properties.subscription_identifiers = {1, 300};
  v5_publish.properties.correlation_data = "cd";
  v5_publish.properties.response_topic = "reply";

  Subscribe subscribe{3, {{"a/+/b", {QoS::at_least_once}}, {"#", {QoS::at_most_once}}}, {}};
  Subscribe v5_subscribe{4, {{"$share/g/x/#", {QoS::exactly_once, true, true, 2}}}, {}};
  v5_subscribe.properties.subscription_identifiers = {42};

  const std::vector<std::pair<Packet, ProtocolVersion>> seeds = {
      {v311_connect, ProtocolVersion::v311},
      {v5_connect, ProtocolVersion::v5},
      {Connack{}, ProtocolVersion::v311},
      {v5_connack, ProtocolVersion::v5},
      {publish, ProtocolVersion::v311},
      {v5_publish, ProtocolVersion::v5},
      {Puback{7, ReasonCode::success, {}}, ProtocolVersion::v5},
      {Pubrec{7, ReasonCode::quota_exceeded, reason}, ProtocolVersion::v5},
      {Pubrel{7, ReasonCode::success, {}}, ProtocolVersion::v311},
      {Pubcomp{7, ReasonCode::packet_identifier_not_found, {}}, ProtocolVersion::v5},
      {subscribe, ProtocolVersion::v311},
      {v5_subscribe, ProtocolVersion::v5},
      {Suback{3, {ReasonCode::granted_qos_1, ReasonCode::unspecified_error}, {}}, ProtocolVersion::v311},
      {Unsubscribe{5, {"a/+/b", "c"}, {}}, ProtocolVersion::v5},
      {Unsuback{5, {ReasonCode::success, ReasonCode::no_subscription_existed}, reason}, ProtocolVersion::v5},
      {Pingreq{}, ProtocolVersion::v5},
      {Disconnect{ReasonCode::server_shutting_down, reason}, ProtocolVersion::v5},
      {Auth{ReasonCode::continue_authentication, {}}, ProtocolVersion::v5},
  };
  int index = 0;
  Bytes stream;
  for (const auto& [packet, version] : seeds) {
    Bytes wire;
    encode_packet(packet, version, wire);
    if (version == ProtocolVersion::v5) stream.insert(stream.end(), wire.begin(), wire.end());
    char name[64];
    std::snprintf(name, sizeof name, "/seed-%02d", index++);
    std::ofstream(std::string(argv[1]) + name, std::ios::binary)
        .write(reinterpret_cast<const char*>(wire.data()), static_cast<std::streamsize>(wire.size()));
  }
  // Several frames in one input exercise the framing loop.
  std::ofstream(std::string(argv[1]) + "/seed-stream", std::ios::binary)
      .write(reinterpret_cast<const char*>(stream.data()), static_cast<std::streamsize>(stream.size()));
  return 0;
}

// MQTT 5 property block codec (spec 2.2.2): allowed set per packet, duplicate and value checks.
// Pure functions; any thread.
#include "broker/protocol/property_codec.hpp"

#include <array>

namespace arkmq::protocol {

namespace {

using Mask = std::uint64_t;

constexpr Mask bit(PropertyId id) { return Mask{1} << static_cast<unsigned>(id); }

template <class... Ids>
constexpr Mask bits(Ids... ids) { return (bit(ids) | ...); }

using P = PropertyId;

constexpr Mask will_mask =
    bits(P::payload_format_indicator, P::message_expiry_interval, P::content_type,
         P::response_topic, P::correlation_data, P::will_delay_interval, P::user_property);

constexpr Mask allowed(PropertyContext context) {
  switch (context) {
    case PropertyContext::connect:
      return bits(P::session_expiry_interval, P::authentication_method, P::authentication_data,
                  P::request_problem_information, P::request_response_information,
                  P::receive_maximum, P::topic_alias_maximum, P::user_property,
                  P::maximum_packet_size);
    case PropertyContext::connack:
      return bits(P::session_expiry_interval, P::assigned_client_identifier, P::server_keep_alive,
                  P::authentication_method, P::authentication_data, P::response_information,
                  P::server_reference, P::reason_string, P::receive_maximum,
                  P::topic_alias_maximum, P::maximum_qos, P::retain_available, P::user_property,
                  P::maximum_packet_size, P::wildcard_subscription_available,
                  P::subscription_identifier_available, P::shared_subscription_available);
    case PropertyContext::publish:
      return bits(P::payload_format_indicator, P::message_expiry_interval, P::content_type,
                  P::response_topic, P::correlation_data, P::subscription_identifier,
                  P::topic_alias, P::user_property);
    case PropertyContext::will: return will_mask;
    case PropertyContext::puback:
    case PropertyContext::pubrec:
    case PropertyContext::pubrel:
    case PropertyContext::pubcomp:
    case PropertyContext::suback:
    case PropertyContext::unsuback: return bits(P::reason_string, P::user_property);
    case PropertyContext::subscribe: return bits(P::subscription_identifier, P::user_property);
    case PropertyContext::unsubscribe: return bits(P::user_property);
    case PropertyContext::disconnect:
      return bits(P::session_expiry_interval, P::server_reference, P::reason_string,
                  P::user_property);
    case PropertyContext::auth:
      return bits(P::authentication_method, P::authentication_data, P::reason_string,
                  P::user_property);
  }
  return 0;
}

constexpr Mask known_mask =
    allowed(PropertyContext::connect) | allowed(PropertyContext::connack) |
    allowed(PropertyContext::publish) | will_mask | allowed(PropertyContext::auth) |
    allowed(PropertyContext::disconnect);

// A byte property that only takes 0 or 1 (spec 3.1.2.11.6/7, 3.2.2.3.5/11/12/13).
std::uint8_t read_flag(WireReader& reader) {
  const std::uint8_t value = reader.u8();
  if (value > 1) reader.fail(ReasonCode::protocol_error);
  return value;
}

// Reads one property value into `out`; the identifier is known and allowed.
void read_value(WireReader& r, PropertyId id, Properties& out) {
  switch (id) {
    case P::payload_format_indicator: out.payload_format_indicator = r.u8(); return;
    case P::message_expiry_interval: out.message_expiry_interval = r.u32(); return;
    case P::content_type: out.content_type = r.utf8(); return;
    case P::response_topic: out.response_topic = r.utf8(); return;
    case P::correlation_data: out.correlation_data = r.binary(); return;
    case P::subscription_identifier: {
      const std::uint32_t value = r.varint();
      if (r.ok() && value == 0) r.fail(ReasonCode::protocol_error);  // [MQTT-3.3.4] / 3.8.2.1.2
      out.subscription_identifiers.push_back(value);
      return;
    }
    case P::session_expiry_interval: out.session_expiry_interval = r.u32(); return;
    case P::assigned_client_identifier: out.assigned_client_identifier = r.utf8(); return;
    case P::server_keep_alive: out.server_keep_alive = r.u16(); return;
    case P::authentication_method: out.authentication_method = r.utf8(); return;
    case P::authentication_data: out.authentication_data = r.binary(); return;
    case P::request_problem_information: out.request_problem_information = read_flag(r); return;
    case P::will_delay_interval: out.will_delay_interval = r.u32(); return;
    case P::request_response_information: out.request_response_information = read_flag(r); return;
    case P::response_information: out.response_information = r.utf8(); return;
    case P::server_reference: out.server_reference = r.utf8(); return;
    case P::reason_string: out.reason_string = r.utf8(); return;
    case P::receive_maximum: {
      const std::uint16_t value = r.u16();
      if (r.ok() && value == 0) r.fail(ReasonCode::protocol_error);  // 3.1.2.11.3
      out.receive_maximum = value;
      return;
    }
    case P::topic_alias_maximum: out.topic_alias_maximum = r.u16(); return;
    // Topic Alias 0 or above the maximum is topic_alias_invalid: session logic, not decoding.
    case P::topic_alias: out.topic_alias = r.u16(); return;
    case P::maximum_qos: out.maximum_qos = read_flag(r); return;  // 3.2.2.3.4: 0 or 1
    case P::retain_available: out.retain_available = read_flag(r); return;
    case P::user_property: {
      UserProperty property;
      property.name = r.utf8();
      property.value = r.utf8();
      out.user_properties.push_back(std::move(property));
      return;
    }
    case P::maximum_packet_size: {
      const std::uint32_t value = r.u32();
      if (r.ok() && value == 0) r.fail(ReasonCode::protocol_error);  // 3.1.2.11.4
      out.maximum_packet_size = value;
      return;
    }
    case P::wildcard_subscription_available: out.wildcard_subscription_available = read_flag(r); return;
    case P::subscription_identifier_available:
      out.subscription_identifier_available = read_flag(r);
      return;
    case P::shared_subscription_available: out.shared_subscription_available = read_flag(r); return;
  }
}

}  // namespace

void decode_properties(WireReader& reader, PropertyContext context, Properties& out) {
  const std::uint32_t length = reader.varint();
  WireReader block{reader.take(length)};
  if (!reader.ok()) return;
  const Mask allowed_here = allowed(context);
  // User Property may always repeat; Subscription Identifier only in PUBLISH (3.3.2.3.8).
  Mask repeatable = bit(P::user_property);
  if (context == PropertyContext::publish) repeatable |= bit(P::subscription_identifier);
  Mask seen = 0;
  while (!block.empty()) {
    const std::uint32_t raw_id = block.varint();
    if (!block.ok()) break;
    if (raw_id >= 64 || (known_mask & (Mask{1} << raw_id)) == 0) {
      block.fail(ReasonCode::malformed_packet);
      break;
    }
    const auto id = static_cast<PropertyId>(raw_id);
    if ((allowed_here & bit(id)) == 0 || ((seen & bit(id)) != 0 && (repeatable & bit(id)) == 0)) {
      block.fail(ReasonCode::protocol_error);
      break;
    }
    seen |= bit(id);
    read_value(block, id, out);
  }
  if (!block.ok()) reader.fail(block.error());
}

bool is_empty(const Properties& p) {
  return !p.payload_format_indicator && !p.message_expiry_interval && !p.content_type &&
         !p.response_topic && !p.correlation_data && p.subscription_identifiers.empty() &&
         !p.session_expiry_interval && !p.assigned_client_identifier && !p.server_keep_alive &&
         !p.authentication_method && !p.authentication_data && !p.request_problem_information &&
         !p.will_delay_interval && !p.request_response_information && !p.response_information &&
         !p.server_reference && !p.reason_string && !p.receive_maximum &&
         !p.topic_alias_maximum && !p.topic_alias && !p.maximum_qos && !p.retain_available &&
         p.user_properties.empty() && !p.maximum_packet_size &&
         !p.wildcard_subscription_available && !p.subscription_identifier_available &&
         !p.shared_subscription_available;
}

namespace {

template <class Sink>
void put_u8(Sink& s, PropertyId id, const std::optional<std::uint8_t>& v) {
  if (v) {
    s.u8(static_cast<std::uint8_t>(id));
    s.u8(*v);
  }
}
template <class Sink>
void put_u16(Sink& s, PropertyId id, const std::optional<std::uint16_t>& v) {
  if (v) {
    s.u8(static_cast<std::uint8_t>(id));
    s.u16(*v);
  }
}
template <class Sink>
void put_u32(Sink& s, PropertyId id, const std::optional<std::uint32_t>& v) {
  if (v) {
    s.u8(static_cast<std::uint8_t>(id));
    s.u32(*v);
  }
}
template <class Sink>
void put_string(Sink& s, PropertyId id, const std::optional<std::string>& v) {
  if (v) {
    s.u8(static_cast<std::uint8_t>(id));
    s.string(*v);
  }
}

}  // namespace

// Written in identifier order; each identifier fits in one byte of Variable Byte Integer.
template <class Sink>
void write_property_list(Sink& s, const Properties& p) {
  put_u8(s, P::payload_format_indicator, p.payload_format_indicator);
  put_u32(s, P::message_expiry_interval, p.message_expiry_interval);
  put_string(s, P::content_type, p.content_type);
  put_string(s, P::response_topic, p.response_topic);
  put_string(s, P::correlation_data, p.correlation_data);
  for (const std::uint32_t id : p.subscription_identifiers) {
    s.u8(static_cast<std::uint8_t>(P::subscription_identifier));
    s.varint(id);
  }
  put_u32(s, P::session_expiry_interval, p.session_expiry_interval);
  put_string(s, P::assigned_client_identifier, p.assigned_client_identifier);
  put_u16(s, P::server_keep_alive, p.server_keep_alive);
  put_string(s, P::authentication_method, p.authentication_method);
  put_string(s, P::authentication_data, p.authentication_data);
  put_u8(s, P::request_problem_information, p.request_problem_information);
  put_u32(s, P::will_delay_interval, p.will_delay_interval);
  put_u8(s, P::request_response_information, p.request_response_information);
  put_string(s, P::response_information, p.response_information);
  put_string(s, P::server_reference, p.server_reference);
  put_string(s, P::reason_string, p.reason_string);
  put_u16(s, P::receive_maximum, p.receive_maximum);
  put_u16(s, P::topic_alias_maximum, p.topic_alias_maximum);
  put_u16(s, P::topic_alias, p.topic_alias);
  put_u8(s, P::maximum_qos, p.maximum_qos);
  put_u8(s, P::retain_available, p.retain_available);
  for (const auto& property : p.user_properties) {
    s.u8(static_cast<std::uint8_t>(P::user_property));
    s.string(property.name);
    s.string(property.value);
  }
  put_u32(s, P::maximum_packet_size, p.maximum_packet_size);
  put_u8(s, P::wildcard_subscription_available, p.wildcard_subscription_available);
  put_u8(s, P::subscription_identifier_available, p.subscription_identifier_available);
  put_u8(s, P::shared_subscription_available, p.shared_subscription_available);
}

template void write_property_list<ByteSink>(ByteSink&, const Properties&);
template void write_property_list<SizeSink>(SizeSink&, const Properties&);

}  // namespace arkmq::protocol

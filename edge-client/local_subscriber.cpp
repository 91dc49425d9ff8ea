// Receive-only MQTT 5 client: acknowledge after the handler.
#include "edge-client/local_subscriber.hpp"

#include <random>

#include <spdlog/spdlog.h>

#include "broker/protocol/codec.hpp"
#include "edge-client/backoff.hpp"
#include "edge-client/tcp_socket.hpp"

namespace arkmq::edge {
namespace {

namespace proto = arkmq::protocol;

constexpr auto kPoll = std::chrono::milliseconds(250);  // how often a blocked read checks stop()
constexpr std::uint32_t kMaxPacket = 16 * 1024 * 1024;

EdgeMessage to_edge(const proto::Publish& publish) {
  EdgeMessage m;
  m.topic = publish.topic;
  m.payload = publish.payload;
  m.qos = static_cast<int>(publish.qos);
  m.retain = publish.retain;
  const auto& p = publish.properties;
  m.response_topic = p.response_topic.value_or("");
  m.correlation_data = p.correlation_data.value_or("");
  m.content_type = p.content_type.value_or("");
  m.message_expiry_s = p.message_expiry_interval;
  m.payload_format = p.payload_format_indicator;
  for (const auto& user : p.user_properties) m.user_properties.emplace_back(user.name, user.value);
  return m;
}

std::string wire(const proto::Packet& packet) {
  proto::Bytes out;
  proto::encode_packet(packet, proto::ProtocolVersion::v5, out);
  return std::string(out.begin(), out.end());
}

// Frames packets out of a byte stream.
class PacketReader {
 public:
  void append(const std::string& bytes) { buffer_.insert(buffer_.end(), bytes.begin(), bytes.end()); }
  // A packet, nullopt when more bytes are needed; an error for a broken stream.
  tl::expected<std::optional<proto::Packet>, std::string> next() {
    proto::FrameHeader header;
    switch (proto::peek_frame(buffer_, kMaxPacket, header)) {
      case proto::FrameStatus::need_more:
        return std::nullopt;
      case proto::FrameStatus::malformed:
        return tl::make_unexpected(std::string("malformed packet"));
      case proto::FrameStatus::too_large:
        return tl::make_unexpected(std::string("packet too large"));
      case proto::FrameStatus::complete:
        break;
    }
    auto packet = proto::decode_packet(proto::ByteView(buffer_.data(), header.total_size()),
                                       proto::ProtocolVersion::v5);
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(header.total_size()));
    if (!packet) return tl::make_unexpected(std::string("undecodable packet"));
    return std::optional<proto::Packet>(std::move(*packet));
  }

 private:
  proto::Bytes buffer_;
};

}  // namespace

LocalSubscriber::LocalSubscriber(LocalSubscriberConfig config, Handler handler)
    : config_(std::move(config)), handler_(std::move(handler)) {}

LocalSubscriber::~LocalSubscriber() { stop(); }

void LocalSubscriber::start() { thread_ = std::thread([this] { run(); }); }

void LocalSubscriber::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool LocalSubscriber::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void LocalSubscriber::run() {
  std::random_device device;
  Backoff backoff(std::chrono::milliseconds(200), std::chrono::milliseconds(5000), device());
  while (!stopping()) {
    serve_one_connection();
    if (subscribed_.exchange(false)) {
      backoff.reset();
      spdlog::warn("local broker link down");
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, backoff.next(), [&] { return stopping_; });
  }
}

void LocalSubscriber::serve_one_connection() {
  const auto connect_deadline = SteadyClock::now() + std::chrono::seconds(5);
  auto socket = TcpSocket::connect(config_.host, config_.port, connect_deadline);
  if (!socket) {
    spdlog::debug("local broker: connect to {}:{} failed", config_.host, config_.port);
    return;
  }
  proto::Connect connect;
  connect.version = proto::ProtocolVersion::v5;
  connect.clean_start = false;
  connect.keep_alive = static_cast<std::uint16_t>(config_.keep_alive.count());
  connect.client_id = config_.client_id;
  connect.properties.session_expiry_interval = config_.session_expiry_s;
  proto::Subscribe subscribe;
  subscribe.packet_id = 1;
  for (const auto& filter : config_.filters) {
    proto::SubscriptionOptions options;
    options.max_qos = proto::QoS::at_least_once;  // the outbox carries QoS 1
    options.no_local = true;                      // what we publish here never comes back
    subscribe.subscriptions.push_back({filter, options});
  }
  if (!socket->write_all(wire(connect), connect_deadline)) return;

  PacketReader reader;
  bool connected = false;
  auto last_sent = SteadyClock::now();
  auto last_received = SteadyClock::now();
  const auto ping_every = config_.keep_alive / 2;
  while (!stopping()) {
    if (connected && SteadyClock::now() - last_received > config_.keep_alive * 3 / 2) {
      spdlog::warn("local broker: nothing received for 1.5 x keep alive; reconnecting");
      return;
    }
    if (connected && SteadyClock::now() - last_sent >= ping_every) {
      if (!socket->write_all(wire(proto::Pingreq{}), SteadyClock::now() + std::chrono::seconds(5))) return;
      last_sent = SteadyClock::now();
    }
    auto bytes = socket->read_some(64 * 1024, SteadyClock::now() + kPoll);
    if (!bytes) {
      if (bytes.error() == SocketError::timeout) {
        if (!connected && SteadyClock::now() > connect_deadline) return;
        continue;
      }
      return;  // closed
    }
    last_received = SteadyClock::now();
    reader.append(*bytes);
    while (true) {
      auto packet = reader.next();
      if (!packet) {
        spdlog::error("local broker: {}", packet.error());
        return;
      }
      if (!*packet) break;
      if (auto* connack = std::get_if<proto::Connack>(&**packet)) {
        if (connack->reason != proto::ReasonCode::success) {
          spdlog::error("local broker refused the connection (reason {})", static_cast<int>(connack->reason));
          return;
        }
        connected = true;
        if (!subscribe.subscriptions.empty()) {
          if (!socket->write_all(wire(subscribe), SteadyClock::now() + std::chrono::seconds(5))) return;
        } else {
          subscribed_ = true;
          spdlog::info("local broker link up, 0 bridge filters subscribed");
        }
      } else if (std::get_if<proto::Suback>(&**packet) != nullptr) {
        subscribed_ = true;
        spdlog::info("local broker link up, {} bridge filters subscribed", config_.filters.size());
      } else if (auto* publish = std::get_if<proto::Publish>(&**packet)) {
        handler_(to_edge(*publish));  // stored (committed) before the acknowledgement below
        if (publish->qos == proto::QoS::at_least_once) {
          proto::Puback ack;
          ack.packet_id = publish->packet_id;
          if (!socket->write_all(wire(ack), SteadyClock::now() + std::chrono::seconds(5))) return;
        } else if (publish->qos == proto::QoS::exactly_once) {
          proto::Pubrec ack;  // not expected: we subscribe with QoS 1 at most
          ack.packet_id = publish->packet_id;
          if (!socket->write_all(wire(ack), SteadyClock::now() + std::chrono::seconds(5))) return;
        }
      } else if (auto* pubrel = std::get_if<proto::Pubrel>(&**packet)) {
        proto::Pubcomp done;
        done.packet_id = pubrel->packet_id;
        if (!socket->write_all(wire(done), SteadyClock::now() + std::chrono::seconds(5))) return;
      } else if (std::get_if<proto::Disconnect>(&**packet) != nullptr) {
        spdlog::warn("local broker sent DISCONNECT");
        return;
      }
    }
  }
  // Stopping: a normal DISCONNECT keeps the session (and what it queues) at the broker.
  [[maybe_unused]] auto done = socket->write_all(wire(proto::Disconnect{}), SteadyClock::now() + std::chrono::seconds(1));
}

}  // namespace arkmq::edge

// LocalSubscriber against a scripted broker (arkmq's codec on a loopback socket): the PUBACK for
// a QoS 1 message is sent only after the handler returned, i.e. after the outbox committed it.
#include "edge-client/local_subscriber.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>

#include "broker/protocol/codec.hpp"

namespace arkmq::edge {
namespace {

namespace proto = arkmq::protocol;
using namespace std::chrono_literals;

// One accepted connection; reads whole packets with a timeout.
class ScriptedBroker {
 public:
  ScriptedBroker() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 4);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~ScriptedBroker() {
    if (fd_ >= 0) ::close(fd_);
    ::close(listen_fd_);
  }
  std::uint16_t port() const { return port_; }
  bool accept(std::chrono::milliseconds timeout) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    fd_ = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    return fd_ >= 0;
  }
  void send(const proto::Packet& packet) {
    proto::Bytes out;
    proto::encode_packet(packet, proto::ProtocolVersion::v5, out);
    ASSERT_EQ(::send(fd_, out.data(), out.size(), MSG_NOSIGNAL), static_cast<ssize_t>(out.size()));
  }
  std::optional<proto::Packet> receive(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      proto::FrameHeader header;
      if (proto::peek_frame(buffer_, 1 << 20, header) == proto::FrameStatus::complete) {
        auto packet = proto::decode_packet(proto::ByteView(buffer_.data(), header.total_size()),
                                           proto::ProtocolVersion::v5);
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(header.total_size()));
        if (!packet) return std::nullopt;
        return *packet;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      std::uint8_t chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return std::nullopt;
      buffer_.insert(buffer_.end(), chunk, chunk + n);
    }
  }

 private:
  int listen_fd_ = -1;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  proto::Bytes buffer_;
};

TEST(LocalSubscriber, AcknowledgesAQosOneMessageOnlyAfterTheHandlerReturns) {
  ScriptedBroker broker;
  std::promise<EdgeMessage> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<bool> stored{false};
  LocalSubscriber subscriber(
      LocalSubscriberConfig{"127.0.0.1", broker.port(), "edge-sub", {"sensors/#"}},
      [&](const EdgeMessage& m) {
        entered.set_value(m);
        released.wait_for(10s);
        stored = true;  // what the outbox commit stands for
      });
  subscriber.start();
  ASSERT_TRUE(broker.accept(5s));

  auto connect = broker.receive(5s);
  ASSERT_TRUE(connect && std::holds_alternative<proto::Connect>(*connect));
  const auto& c = std::get<proto::Connect>(*connect);
  EXPECT_FALSE(c.clean_start);  // the site broker keeps our session while we restart
  EXPECT_EQ(c.client_id, "edge-sub");
  EXPECT_EQ(c.properties.session_expiry_interval, 86'400U);
  broker.send(proto::Connack{});

  auto subscribe = broker.receive(5s);
  ASSERT_TRUE(subscribe && std::holds_alternative<proto::Subscribe>(*subscribe));
  const auto& s = std::get<proto::Subscribe>(*subscribe);
  ASSERT_EQ(s.subscriptions.size(), 1U);
  EXPECT_EQ(s.subscriptions[0].filter, "sensors/#");
  EXPECT_EQ(s.subscriptions[0].options.max_qos, proto::QoS::at_least_once);
  EXPECT_TRUE(s.subscriptions[0].options.no_local);
  broker.send(proto::Suback{s.packet_id, {proto::ReasonCode::granted_qos_1}, {}});

  proto::Publish publish;
  publish.topic = "sensors/t1";
  publish.payload = "21.5";
  publish.qos = proto::QoS::at_least_once;
  publish.packet_id = 7;
  publish.properties.content_type = "text/plain";
  publish.properties.user_properties = {{"unit", "C"}};
  broker.send(publish);

  auto future = entered.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  const EdgeMessage m = future.get();
  EXPECT_EQ(m.topic, "sensors/t1");
  EXPECT_EQ(m.payload, "21.5");
  EXPECT_EQ(m.qos, 1);
  EXPECT_EQ(m.content_type, "text/plain");
  EXPECT_EQ(m.user_property("unit"), "C");

  // While the handler has not returned, no PUBACK (a bounded look for something absent).
  EXPECT_FALSE(broker.receive(300ms).has_value());
  release.set_value();
  auto ack = broker.receive(5s);
  ASSERT_TRUE(ack && std::holds_alternative<proto::Puback>(*ack));
  EXPECT_EQ(std::get<proto::Puback>(*ack).packet_id, 7);
  EXPECT_TRUE(stored.load());
  EXPECT_TRUE(subscriber.is_subscribed());
  subscriber.stop();
  auto disconnect = broker.receive(5s);
  ASSERT_TRUE(disconnect && std::holds_alternative<proto::Disconnect>(*disconnect));
}

}  // namespace
}  // namespace arkmq::edge

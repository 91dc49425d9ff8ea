// The services tests' backends: cpp-httplib, a poll(2) loop for TCP frames, a Paho responder.
#include "tests/support/service_backends.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace arkmq::test {

using namespace std::chrono_literals;

void RequestCounter::add() {
  {
    std::lock_guard lock(mutex_);
    ++count_;
  }
  changed_.notify_all();
}

std::size_t RequestCounter::count() const {
  std::lock_guard lock(mutex_);
  return count_;
}

bool RequestCounter::wait_for(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return count_ >= count; });
}

HttpBackend::HttpBackend(std::chrono::milliseconds slow_delay)
    : slow_delay_(slow_delay), server_(std::make_unique<httplib::Server>()) {
  server_->Post("/api/echo", [this](const httplib::Request& req, httplib::Response& res) {
    requests_.add();
    res.set_content("http:" + req.body, "text/plain");
  });
  server_->Post("/api/fail", [this](const httplib::Request&, httplib::Response& res) {
    requests_.add();
    res.status = 503;
    res.set_content("down", "text/plain");
  });
  server_->Post("/api/slow", [this](const httplib::Request& req, httplib::Response& res) {
    requests_.add();
    // The slow backend under test: it answers after slow_delay_ (or when the test ends).
    std::unique_lock lock(release_mutex_);
    release_.wait_for(lock, slow_delay_, [&] { return releasing_; });
    res.set_content("slow:" + req.body, "text/plain");
  });
  server_->Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  const int port = server_->bind_to_any_port("127.0.0.1");
  if (port <= 0) throw std::runtime_error("http backend: bind failed");
  port_ = static_cast<std::uint16_t>(port);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

HttpBackend::~HttpBackend() {
  {
    std::lock_guard lock(release_mutex_);
    releasing_ = true;
  }
  release_.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

TcpFrameBackend::TcpFrameBackend() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (listen_fd_ >= 0) ::close(listen_fd_);
    throw std::runtime_error("tcp backend: bind failed");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

TcpFrameBackend::~TcpFrameBackend() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
}

void TcpFrameBackend::run() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    serve(fd);
    ::close(fd);
  }
}

void TcpFrameBackend::serve(int fd) {
  std::string input;
  char buffer[4096];
  // Bounded by reads and by a 2 s silence; a health check connects and closes at once.
  for (int reads = 0; reads < 10'000 && !stopping_; ++reads) {
    if (input.size() >= 4) {
      const auto* b = reinterpret_cast<const unsigned char*>(input.data());
      const std::size_t length = (std::size_t{b[0]} << 24) | (std::size_t{b[1]} << 16) |
                                 (std::size_t{b[2]} << 8) | std::size_t{b[3]};
      if (length > (16U << 20)) return;
      if (input.size() >= 4 + length) {
        requests_.add();
        const std::string reply = "tcp:" + input.substr(4, length);
        std::string frame(4, '\0');
        for (int i = 0; i < 4; ++i) {
          frame[static_cast<std::size_t>(i)] =
              static_cast<char>((reply.size() >> (8 * (3 - i))) & 0xFF);
        }
        frame += reply;
        [[maybe_unused]] const auto sent = ::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
        return;
      }
    }
    pollfd c{fd, POLLIN, 0};
    if (::poll(&c, 1, 2000) <= 0) return;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return;
    input.append(buffer, static_cast<std::size_t>(n));
  }
}

MqttResponder::MqttResponder(const std::string& site_uri, const std::string& topic_prefix)
    : client_(std::make_unique<PahoClient>(site_uri, unique_client_id("responder"), 5)) {
  PahoClient* client = client_.get();
  client->client().set_message_callback([this, client](mqtt::const_message_ptr request) {
    requests_.add();
    const auto& props = request->get_properties();
    if (!props.contains(mqtt::property::RESPONSE_TOPIC)) return;
    mqtt::properties reply_props;
    if (props.contains(mqtt::property::CORRELATION_DATA)) {
      reply_props.add({mqtt::property::CORRELATION_DATA,
                       mqtt::get<std::string>(props, mqtt::property::CORRELATION_DATA)});
    }
    reply_props.add({mqtt::property::CONTENT_TYPE, std::string("text/plain")});
    auto reply = mqtt::make_message(mqtt::get<std::string>(props, mqtt::property::RESPONSE_TOPIC),
                                    "mqtt:" + request->get_payload_str(), 1, false);
    reply->set_properties(reply_props);
    try {
      client->client().publish(reply);  // not waited for: this is Paho's callback thread
    } catch (const mqtt::exception&) {
      // The site broker went away; the edge's deadline turns this into backend_error.
    }
  });
  client_->connect(v5_options());
  client_->subscribe(topic_prefix + "/+", 1);
}

MqttResponder::~MqttResponder() { client_.reset(); }

}  // namespace arkmq::test

// Non-blocking reads and writes on a plain socket, or through its TlsChannel.
#include "broker/net/stream.hpp"

#include <asio/buffer.hpp>
#include <asio/error.hpp>

namespace arkmq::net {

namespace {

bool would_block(const std::error_code& error) {
  return error == asio::error::would_block || error == asio::error::try_again;
}

IoResult raw_read(TcpSocket& socket, std::span<std::uint8_t> buffer) {
  std::error_code error;
  const std::size_t size = socket.read_some(asio::buffer(buffer.data(), buffer.size()), error);
  if (would_block(error)) {
    return {0, IoStatus::want_read, {}};
  }
  if (error) {
    return {0, IoStatus::end, error};  // asio::error::eof for the peer's FIN
  }
  return {size, size == buffer.size() ? IoStatus::ready : IoStatus::want_read, {}};
}

}  // namespace

std::string endpoint_text(const asio::ip::tcp::endpoint& endpoint) {
  if (endpoint.port() == 0) {
    return "unknown";
  }
  const auto address = endpoint.address();
  std::string out;
  if (address.is_v6()) {
    out.append("[").append(address.to_string()).append("]");
  } else {
    out.append(address.to_string());
  }
  return out.append(":").append(std::to_string(endpoint.port()));
}

std::string peer_text(const TcpSocket& socket) {
  std::error_code error;
  const auto endpoint = socket.remote_endpoint(error);
  return error ? std::string("unknown") : endpoint_text(endpoint);
}

Stream::Stream(TcpSocket socket, TlsChannel tls) : socket_(std::move(socket)), tls_(std::move(tls)) {
  std::error_code ignored;
  socket_.non_blocking(true, ignored);  // reads and writes are tried first, waited for only then
}

IoResult Stream::read(std::span<std::uint8_t> buffer) {
  return tls_ ? tls_.read(buffer) : raw_read(socket_, buffer);
}

IoResult Stream::write(std::span<const std::uint8_t> data) {
  if (tls_) {
    return tls_.write(data);
  }
  std::error_code error;
  const std::size_t size = socket_.write_some(asio::buffer(data.data(), data.size()), error);
  if (would_block(error)) {
    return {0, IoStatus::want_write, {}};
  }
  if (error) {
    return {0, IoStatus::end, error};
  }
  return {size, size == data.size() ? IoStatus::ready : IoStatus::want_write, {}};
}

IoResult Stream::shutdown_send() {
  if (tls_) {
    IoResult sent = tls_.shutdown();
    if (sent.status == IoStatus::want_read || sent.status == IoStatus::want_write) {
      return sent;
    }
  }
  std::error_code ignored;
  socket_.shutdown(TcpSocket::shutdown_send, ignored);
  return {0, IoStatus::ready, {}};
}

IoResult Stream::discard(std::span<std::uint8_t> scratch) {
  return raw_read(socket_, scratch);
}

void Stream::close() {
  std::error_code ignored;
  socket_.shutdown(TcpSocket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace arkmq::net

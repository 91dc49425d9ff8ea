// ConnectWorker: the connect/CONNACK/DISCONNECT cycle.
#include "tools/arkmq-bench/connect_worker.hpp"

#include <variant>

#include "tools/arkmq-bench/socket_budget.hpp"

namespace arkmq::bench {

ConnectWorker::ConnectWorker(asio::io_context& io, const LinkSettings& settings, RunState& run,
                             std::string id_prefix)
    : io_(io), settings_(settings), run_(run), id_prefix_(std::move(id_prefix)), timer_(io),
      in_(512) {}

void ConnectWorker::post_run(std::uint64_t window_start_ns, std::uint64_t end_ns) {
  asio::post(io_, [this, window_start_ns, end_ns] {
    window_start_ns_ = window_start_ns;
    end_ns_ = end_ns;
    cycle();
  });
}

void ConnectWorker::post_stop() {
  asio::post(io_, [this] {
    stop_requested_ = true;
    timer_.cancel();
    if (transport_) transport_->close();  // the pending handler ends the loop
  });
}

bool ConnectWorker::over() const { return stop_requested_ || now_ns() >= end_ns_; }

void ConnectWorker::cycle() {
  if (over()) {
    transport_.reset();
    stopped_.store(true, std::memory_order_release);
    return;
  }
  transport_.emplace(io_, *settings_.tls_context, settings_.tls, settings_.verify_host);
  in_used_ = 0;
  transport_->async_open(settings_.endpoint, settings_.host, [this](std::error_code ec) {
    if (ec) return next(stop_requested_ ? "" : "connect: " + describe_open_error(ec, file_limit()));
    out_.clear();
    protocol::encode_packet(make_connect(settings_, id_prefix_ + "-" + std::to_string(attempt_++)),
                            settings_.version, out_);
    transport_->async_write(asio::buffer(out_), [this](std::error_code wec, std::size_t) {
      if (wec) return next(stop_requested_ ? "" : "write CONNECT: " + wec.message());
      read_connack();
    });
  });
}

void ConnectWorker::read_connack() {
  transport_->async_read_some(
      asio::buffer(in_.data() + in_used_, in_.size() - in_used_),
      [this](std::error_code ec, std::size_t n) {
        if (ec) return next(stop_requested_ ? "" : "read CONNACK: " + ec.message());
        in_used_ += n;
        protocol::FrameHeader header;
        const auto view = std::span<const std::uint8_t>(in_.data(), in_used_);
        const auto status = protocol::peek_frame(view, static_cast<std::uint32_t>(in_.size()), header);
        if (status == protocol::FrameStatus::need_more) return read_connack();
        if (status != protocol::FrameStatus::complete) return next("malformed CONNACK");
        auto packet = protocol::decode_packet(view.first(header.total_size()), settings_.version);
        if (!packet || !std::holds_alternative<protocol::Connack>(*packet)) {
          return next("expected CONNACK");
        }
        const auto reason = std::get<protocol::Connack>(*packet).reason;
        if (reason != protocol::ReasonCode::success) {
          return next("CONNACK refused: reason 0x" + std::to_string(static_cast<unsigned>(reason)));
        }
        completed_.fetch_add(1, std::memory_order_relaxed);
        const std::uint64_t now = now_ns();
        if (now >= window_start_ns_ && now < end_ns_) in_window_.fetch_add(1, std::memory_order_relaxed);
        out_.clear();
        protocol::encode_packet(protocol::Disconnect{}, settings_.version, out_);
        transport_->async_write(asio::buffer(out_), [this](std::error_code wec, std::size_t) {
          if (wec) return next(stop_requested_ ? "" : "write DISCONNECT: " + wec.message());
          await_close();
        });
      });
}

void ConnectWorker::await_close() {
  // The broker closes after DISCONNECT [MQTT-3.14.4-1]; a broker that does not is cut off at 1 s.
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([this](std::error_code ec) {
    if (!ec && transport_) transport_->close();
  });
  transport_->async_read_some(asio::buffer(in_), [this](std::error_code, std::size_t) {
    timer_.cancel();
    next("");  // EOF (or anything) ends this connection
  });
}

void ConnectWorker::next(const std::string& error) {
  if (!error.empty()) run_.report_error(id_prefix_ + ": " + error);
  if (transport_) transport_->close();
  // Handlers of the old transport may still be queued; start over from a fresh handler.
  asio::post(io_, [this, failed = !error.empty()] {
    if (!failed) return cycle();
    timer_.expires_after(std::chrono::milliseconds(10));  // no busy loop against a refusing broker
    timer_.async_wait([this](std::error_code) { cycle(); });
  });
}

}  // namespace arkmq::bench

// What one non-blocking step on a connection's byte stream did (a read, a write, a TLS handshake
// or shutdown step) and what to wait for before the next. Plain values, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <system_error>

namespace arkmq::net {

enum class IoStatus : std::uint8_t {
  ready,       // nothing to wait for: the step finished, or (a read that filled the buffer) more
               // may be there, so call again without waiting for readiness
  want_read,   // call again once the socket is readable (a read: it had nothing more)
  want_write,  // call again once the socket is writable (a write: with the same unwritten bytes)
  end,         // the stream ended (peer's FIN or close_notify) or failed: `error` says which
};

struct IoResult {
  std::size_t bytes = 0;  // moved by this step, also when it stopped on a wait
  IoStatus status = IoStatus::ready;
  std::error_code error;  // with IoStatus::end: eof for an orderly end, else the failure
};

}  // namespace arkmq::net

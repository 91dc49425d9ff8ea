// Server::reload_tls: all new TLS contexts are built before any is installed (a bad file changes
// nothing), then swapped per listener, then the CRL walk closes connections now revoked.
#include "broker/net/server.hpp"

#include "broker/net/tls_context.hpp"

namespace arkmq::net {

tl::expected<TlsReloadResult, std::string> Server::reload_tls(
    const std::vector<ListenerOptions>& listeners) {
  if (!running_) {
    return tl::unexpected(std::string("the server is not running"));
  }
  if (listeners.size() != listeners_.size()) {
    return tl::unexpected("the reloaded configuration has " + std::to_string(listeners.size()) +
                          " listener(s), the running one " + std::to_string(listeners_.size()));
  }
  // 1. Build (and check) every context; nothing is installed unless all of them load.
  std::vector<std::shared_ptr<asio::ssl::context>> contexts(listeners.size());
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    const ListenerOptions& next = listeners[i];
    if (next.url != options_.listeners[i].url) {
      return tl::unexpected("listener " + std::to_string(i + 1) + " changed from " +
                            options_.listeners[i].url + " to " + next.url +
                            " (listeners change only with a restart)");
    }
    if (!listeners_[i]->is_tls()) {
      continue;
    }
    auto context = make_server_tls_context(next.tls);
    if (!context) {
      return tl::unexpected("listener " + next.url + ": " + context.error());
    }
    contexts[i] = std::move(*context);
  }

  // 2. Swap: from here on new handshakes use the new files.
  TlsReloadResult result;
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    listeners_[i]->replace_settings(contexts[i], listeners[i].tls.identity, listeners[i].policy);
    options_.listeners[i] = listeners[i];
    if (contexts[i]) {
      ++result.contexts;
    }
  }

  // 3. Connections whose certificate the new CRL revokes end now (Connection::close posts to
  // their worker; the core sees an ordinary connection loss).
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    if (!contexts[i]) {
      continue;
    }
    for (auto& revoked : listeners_[i]->tls_peers().close_revoked(contexts[i])) {
      ++result.revoked;
      options_.log->warn("TLS connection from {} on {} (principal '{}') closed: its certificate "
                         "is revoked by the reloaded CRL",
                         revoked.info.peer, revoked.info.listener,
                         revoked.info.certificate_principal.value_or(""));
      if (options_.on_tls_revoked) {
        options_.on_tls_revoked(revoked.info, "certificate revoked by the reloaded CRL");
      }
    }
  }
  return result;
}

}  // namespace arkmq::net

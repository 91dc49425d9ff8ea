// Revocation after a CRL reload: the stored peer certificates are verified against the new
// context's store with a callback that only notes X509_V_ERR_CERT_REVOKED.
#include "broker/net/tls_peers.hpp"

#include <algorithm>

#include <openssl/err.h>

#include "broker/net/connection.hpp"

namespace arkmq::net {

namespace {

int note_revoked(int ok, X509_STORE_CTX* ctx) {
  if (ok == 0 && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CERT_REVOKED) {
    *static_cast<bool*>(X509_STORE_CTX_get_ex_data(ctx, 0)) = true;
  }
  return 1;  // carry on: only "revoked" decides here, whatever else fails
}

}  // namespace

bool is_revoked(X509_STORE* store, X509* cert, STACK_OF(X509) * chain) {
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  if (ctx == nullptr) {
    return false;
  }
  bool revoked = false;
  if (X509_STORE_CTX_init(ctx, store, cert, chain) == 1) {
    X509_STORE_CTX_set_ex_data(ctx, 0, &revoked);
    X509_STORE_CTX_set_verify_cb(ctx, note_revoked);
    (void)X509_verify_cert(ctx);
  }
  X509_STORE_CTX_free(ctx);
  ERR_clear_error();
  return revoked;
}

void TlsPeerRegistry::add(const std::shared_ptr<Connection>& connection, SSL* ssl,
                          core::ConnectionInfo info) {
  Entry entry;
  entry.cert.reset(SSL_get1_peer_certificate(ssl));
  if (!entry.cert) {
    return;  // no client certificate: nothing a CRL could revoke
  }
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl)) {
    entry.chain.reset(X509_chain_up_ref(chain));
  }
  entry.connection = connection;
  entry.info = std::move(info);
  auto state = state_.lock();
  if (state->entries.size() >= state->prune_at) {
    std::erase_if(state->entries, [](const Entry& e) { return e.connection.expired(); });
    state->prune_at = std::max<std::size_t>(64, 2 * state->entries.size());
  }
  state->entries.push_back(std::move(entry));
}

bool TlsPeerRegistry::revoked_since(SSL* ssl, const asio::ssl::context* used) {
  std::shared_ptr<asio::ssl::context> latest = state_.lock()->latest;
  if (!latest || latest.get() == used) {
    return false;
  }
  X509* cert = SSL_get0_peer_certificate(ssl);
  return cert != nullptr &&
         is_revoked(SSL_CTX_get_cert_store(latest->native_handle()), cert,
                    SSL_get_peer_cert_chain(ssl));
}

std::vector<TlsPeerRegistry::Revoked> TlsPeerRegistry::close_revoked(
    std::shared_ptr<asio::ssl::context> latest) {
  X509_STORE* store = SSL_CTX_get_cert_store(latest->native_handle());
  // Taken out of the lock first: verification and closing should not hold up handshakes.
  // Handshakes that finish from here on check `latest` themselves (revoked_since).
  std::vector<Entry> entries;
  {
    auto state = state_.lock();
    entries.swap(state->entries);
    state->latest = std::move(latest);
  }
  std::vector<Revoked> out;
  std::vector<Entry> kept;
  for (auto& entry : entries) {
    auto connection = entry.connection.lock();
    if (!connection) {
      continue;
    }
    if (is_revoked(store, entry.cert.get(), entry.chain.get())) {
      connection->close();
      out.push_back({std::move(entry.info)});
      continue;
    }
    kept.push_back(std::move(entry));
  }
  auto state = state_.lock();
  // Handshakes that finished meanwhile were added to the (now short) list: keep both.
  for (auto& entry : state->entries) {
    kept.push_back(std::move(entry));
  }
  state->entries = std::move(kept);
  state->prune_at = std::max<std::size_t>(64, 2 * state->entries.size());
  return out;
}

std::size_t TlsPeerRegistry::size() {
  return state_.lock()->entries.size();
}

}  // namespace arkmq::net

// The live TLS connections of one listener that presented a client certificate, so a reloaded
// CRL can close those it now revokes. Thread-safe: handshakes add (worker threads), the reload
// walks (the controlling thread); one short lock, never held while a connection is touched.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <asio/ssl/context.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "broker/core/connection_info.hpp"
#include "broker/core/guarded.hpp"

namespace arkmq::net {

class Connection;

// True when `store` (a server context's, with its CRLs and X509_V_FLAG_CRL_CHECK) finds `cert`
// revoked. Other verification errors (an expired CRL, a CA no longer trusted) do not count: a
// reload only closes connections whose certificate is listed as revoked.
bool is_revoked(X509_STORE* store, X509* cert, STACK_OF(X509)* chain);

class TlsPeerRegistry {
 public:
  struct Revoked {
    core::ConnectionInfo info;  // peer, listener, certificate principal
  };

  // Worker thread, after a successful handshake made with `used`, before the connection exists:
  // true when a context installed since (a reload that raced the handshake) revokes the peer's
  // certificate; the caller then refuses the connection.
  bool revoked_since(SSL* ssl, const asio::ssl::context* used);

  // Worker thread, after a successful handshake: remembers the peer certificate and chain of
  // `ssl` (nothing when the client sent none) for `connection`.
  void add(const std::shared_ptr<Connection>& connection, SSL* ssl, core::ConnectionInfo info);

  // Controlling thread, once `latest` serves new handshakes: closes (Connection::close) every
  // live connection whose certificate `latest` revokes, forgets them, returns who they were.
  std::vector<Revoked> close_revoked(std::shared_ptr<asio::ssl::context> latest);

  std::size_t size();  // entries, the ended connections not yet pruned included (tests)

 private:
  struct CertFree {
    void operator()(X509* cert) const { X509_free(cert); }
  };
  struct ChainFree {
    void operator()(STACK_OF(X509) * chain) const { sk_X509_pop_free(chain, X509_free); }
  };
  struct Entry {
    std::weak_ptr<Connection> connection;
    std::unique_ptr<X509, CertFree> cert;
    std::unique_ptr<STACK_OF(X509), ChainFree> chain;  // may be null
    core::ConnectionInfo info;
  };
  struct State {
    std::vector<Entry> entries;
    std::size_t prune_at = 64;  // prune ended connections when the list reaches this size
    std::shared_ptr<asio::ssl::context> latest;  // set by close_revoked
  };
  core::Guarded<State> state_;
};

}  // namespace arkmq::net

// rxsync/net/detail/stream.hpp - one TCP connection, with or without TLS on top, as one stream
// type (internal to NetTransport and SyncServer).
//
// Why one type-erased stream, and not a template parameter or a std::variant of the two streams:
// Beast instantiates its HTTP and WebSocket code per stream type and per buffer sequence type,
// and a second instantiation for an SSL stream more than triples the compile time and memory of
// a file that includes the client or the server (g++ 12 at -O0: about 25 s and 1.2 GB for
// WebSocket + HTTP over a TCP stream, 85 s and 3.4 GB over both). Stream is a single
// AsyncReadStream/AsyncWriteStream: Beast's code is compiled once, for Stream, and only the
// byte-level read_some, write_some, handshake and teardown exist twice, behind a virtual call.
// That costs one virtual call and one small allocation per read or write, noise next to the
// system call under it.
//
// TLS is compiled in when RXSYNC_NET_TLS is 1 (CMake defines it on rxsync::net when OpenSSL is
// found). Without it Stream is plain TCP only, and the callers refuse wss:// and https://.
// Threading: like the Beast stream it wraps, one read and one write at a time, on one strand.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <rxsync/core/function.hpp>
#include <rxsync/version.hpp>

#ifndef RXSYNC_NET_TLS
#define RXSYNC_NET_TLS 0
#endif

#if RXSYNC_NET_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#endif

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;

// What a build without TLS says when asked for it.
inline constexpr const char* kNoTlsReason =
    "this build of rxsync::net has no TLS: it was configured without OpenSSL (install OpenSSL's "
    "development files, e.g. Debian's libssl-dev, and configure again)";

#if RXSYNC_NET_TLS
using TlsContext = asio::ssl::context;
#else
struct TlsContext {};  // never made: keeps the signatures below the same in both builds
#endif

#if RXSYNC_NET_TLS
// OpenSSL's reason for a failure, without the library name asio appends ("no start line").
inline std::string openssl_reason(const beast::error_code& ec) {
  if (ec.category() == asio::error::get_ssl_category()) {
    const char* reason =
        ERR_reason_error_string(static_cast<unsigned long>(static_cast<unsigned int>(ec.value())));
    if (reason != nullptr) return reason;
  }
  return ec.message();
}
#endif

// The client's TLS settings, shared by all its connections: TLS 1.2 or newer and, with
// `verify`, a server certificate that chains to the system's CA store or to a certificate in
// `ca_file`. Throws std::invalid_argument naming the option when `ca_file` holds no certificate,
// or when the build has no TLS (`url` names the server that asked for it).
inline std::shared_ptr<TlsContext> make_client_tls_context(const std::string& url, bool verify,
                                                           const std::string& ca_file) {
#if RXSYNC_NET_TLS
  (void)url;
  auto context = std::make_shared<TlsContext>(TlsContext::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  if (!verify) {
    context->set_verify_mode(asio::ssl::verify_none);
    return context;
  }
  context->set_verify_mode(asio::ssl::verify_peer);
  beast::error_code ec;
  context->set_default_verify_paths(ec);  // none on this system: only ca_file is trusted
  if (!ca_file.empty()) {
    context->load_verify_file(ca_file, ec);
    if (ec) {
      throw std::invalid_argument("NetTransportOptions.tls_ca_file '" + ca_file +
                                  "': no CA certificate could be read from it (" +
                                  openssl_reason(ec) + ")");
    }
  }
  return context;
#else
  (void)verify;
  (void)ca_file;
  throw std::invalid_argument("NetTransportOptions.servers: '" + url + "' needs TLS, but " +
                              kNoTlsReason);
#endif
}

// The server's TLS settings: TLS 1.2 or newer, the certificate chain and its private key (PEM).
// Throws std::invalid_argument naming the option and the file when either cannot be used, or
// when the build has no TLS.
inline std::shared_ptr<TlsContext> make_server_tls_context(const std::string& certificate_file,
                                                           const std::string& private_key_file) {
#if RXSYNC_NET_TLS
  auto context = std::make_shared<TlsContext>(TlsContext::tls_server);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  beast::error_code ec;
  context->use_certificate_chain_file(certificate_file, ec);
  if (ec) {
    throw std::invalid_argument("ServerOptions.tls_certificate_file '" + certificate_file +
                                "': not a PEM certificate chain (" + openssl_reason(ec) + ")");
  }
  const auto mismatch = [&] {
    ERR_clear_error();
    return std::invalid_argument("ServerOptions.tls_private_key_file '" + private_key_file +
                                 "': does not match the certificate in '" + certificate_file + "'");
  };
  context->use_private_key_file(private_key_file, TlsContext::pem, ec);
  if (ec && ec.category() == asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(static_cast<unsigned int>(ec.value()))) ==
          X509_R_KEY_VALUES_MISMATCH) {
    throw mismatch();
  }
  if (ec) {
    throw std::invalid_argument("ServerOptions.tls_private_key_file '" + private_key_file +
                                "': not a PEM private key (" + openssl_reason(ec) + ")");
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) throw mismatch();
  return context;
#else
  (void)certificate_file;
  (void)private_key_file;
  throw std::invalid_argument(
      std::string("ServerOptions.tls_certificate_file: TLS was asked for, but ") + kNoTlsReason);
#endif
}

// A completion handler with its type erased, keeping the executor it must run on (a strand).
template <class... Args>
class ErasedHandler {
 public:
  using executor_type = asio::any_io_executor;

  template <class Handler>
  ErasedHandler(Handler&& handler, const asio::any_io_executor& fallback)
      : executor_(asio::get_associated_executor(handler, fallback)),
        fn_(std::forward<Handler>(handler)) {}

  executor_type get_executor() const noexcept { return executor_; }
  void operator()(Args... args) { fn_(std::move(args)...); }

 private:
  asio::any_io_executor executor_;
  MoveOnlyFunction<void(Args...)> fn_;
};

using IoHandler = ErasedHandler<beast::error_code, std::size_t>;
using DoneHandler = ErasedHandler<beast::error_code>;

// The first buffers of a buffer sequence, as one concrete sequence type. read_some and write_some
// may transfer less than they are given, so leaving out buffers after the 16th is allowed (the
// caller's loop comes back for them); Beast passes a handful.
template <class Buffer>
class BufferList {
 public:
  template <class Sequence>
  explicit BufferList(const Sequence& buffers) {
    for (auto it = asio::buffer_sequence_begin(buffers);
         it != asio::buffer_sequence_end(buffers) && count_ < items_.size(); ++it) {
      const Buffer b(*it);
      if (b.size() != 0) items_[count_++] = b;
    }
  }
  const Buffer* begin() const noexcept { return items_.data(); }
  const Buffer* end() const noexcept { return items_.data() + count_; }

 private:
  std::array<Buffer, 16> items_{};
  std::size_t count_ = 0;
};

class Stream {
 public:
  using executor_type = asio::any_io_executor;

  // Plain TCP.
  explicit Stream(beast::tcp_stream tcp) : impl_(std::make_unique<Plain>(std::move(tcp))) {}
  // TLS over `tcp` with settings from `tls`; without TLS in the build, plain TCP (callers never
  // ask for it then: they refuse TLS URLs and options first).
  Stream(beast::tcp_stream tcp, const std::shared_ptr<TlsContext>& tls) {
#if RXSYNC_NET_TLS
    if (tls) {
      impl_ = std::make_unique<Tls>(std::move(tcp), tls);
      return;
    }
#else
    (void)tls;
#endif
    impl_ = std::make_unique<Plain>(std::move(tcp));
  }

  bool is_tls() const noexcept { return impl_->ssl() != nullptr; }
  executor_type get_executor() noexcept { return impl_->tcp().get_executor(); }
  // The TCP connection under the TLS, if any: connect, timeouts, socket options.
  beast::tcp_stream& tcp() noexcept { return impl_->tcp(); }

  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    return asio::async_initiate<Token, void(beast::error_code, std::size_t)>(
        [impl = impl_.get()](auto handler, const MutableBufferSequence& b) {
          const auto ex = impl->tcp().get_executor();
          impl->read_some(BufferList<asio::mutable_buffer>(b), IoHandler(std::move(handler), ex));
        },
        token, buffers);
  }
  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    return asio::async_initiate<Token, void(beast::error_code, std::size_t)>(
        [impl = impl_.get()](auto handler, const ConstBufferSequence& b) {
          const auto ex = impl->tcp().get_executor();
          impl->write_some(BufferList<asio::const_buffer>(b), IoHandler(std::move(handler), ex));
        },
        token, buffers);
  }

  // A client names the server it connects to before the handshake: the name goes out in SNI
  // (for names, not addresses), and with `verify` the certificate must be valid for it. Nothing
  // to do over plain TCP.
  void expect_server(const std::string& host, bool verify) {
#if RXSYNC_NET_TLS
    SSL* ssl = impl_->ssl();
    if (ssl == nullptr) return;
    beast::error_code ec;
    (void)asio::ip::make_address(host, ec);
    const bool is_address = !ec;
    if (!is_address) SSL_set_tlsext_host_name(ssl, host.c_str());
    if (!verify) return;
    if (is_address) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
    } else {
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(ssl, host.c_str());
    }
#else
    (void)host;
    (void)verify;
#endif
  }

  // The TLS handshake; over plain TCP it completes at once (posted, never inline).
  template <class Token>
  auto async_handshake(beast::role_type role, Token&& token) {
    return asio::async_initiate<Token, void(beast::error_code)>(
        [impl = impl_.get()](auto handler, beast::role_type r) {
          const auto ex = impl->tcp().get_executor();
          impl->handshake(r, DoneHandler(std::move(handler), ex));
        },
        token, role);
  }

  // Why a handshake (or a read) failed, for people: OpenSSL's reason, the certificate
  // verification error when there is one, and a hint for the usual mix-up of TLS and plain.
  std::string describe_error(const beast::error_code& ec) {
#if RXSYNC_NET_TLS
    if (ec.category() == asio::error::get_ssl_category()) {
      const auto code = static_cast<unsigned long>(static_cast<unsigned int>(ec.value()));
      const char* reason = ERR_reason_error_string(code);
      std::string text = reason != nullptr ? reason : ec.message();
      const int why = ERR_GET_REASON(code);
      SSL* ssl = impl_->ssl();
      if (why == SSL_R_CERTIFICATE_VERIFY_FAILED && ssl != nullptr) {
        const long result = SSL_get_verify_result(ssl);
        if (result != X509_V_OK) text += std::string(": ") + X509_verify_cert_error_string(result);
      } else if (why == SSL_R_WRONG_VERSION_NUMBER || why == SSL_R_PACKET_LENGTH_TOO_LONG) {
        text += " (is the other side speaking TLS?)";
      } else if (why == SSL_R_HTTP_REQUEST) {
        text += " (plain HTTP sent to a TLS port: use https:// or wss://)";
      }
      return text;
    }
#endif
    return ec.message();
  }

  // Closes the TCP connection now, without a TLS close_notify: operations in progress complete
  // with operation_aborted. Safe on a moved-from stream.
  void close() noexcept {
    if (!impl_) return;
    beast::error_code ignored;
    impl_->tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    impl_->tcp().close();
  }

  // Beast's hooks: a WebSocket timeout closes the socket; a WebSocket close tears the
  // connection down (close_notify first over TLS).
  friend void beast_close_socket(Stream& s) { s.close(); }
  template <class Handler>
  friend void async_teardown(beast::role_type role, Stream& s, Handler&& handler) {
    const auto ex = s.get_executor();
    s.impl_->teardown(role, DoneHandler(std::forward<Handler>(handler), ex));
  }

 private:
  struct Impl {
    virtual ~Impl() = default;
    virtual beast::tcp_stream& tcp() noexcept = 0;
    virtual void read_some(BufferList<asio::mutable_buffer> b, IoHandler h) = 0;
    virtual void write_some(BufferList<asio::const_buffer> b, IoHandler h) = 0;
    virtual void handshake(beast::role_type role, DoneHandler h) = 0;
    virtual void teardown(beast::role_type role, DoneHandler h) = 0;
#if RXSYNC_NET_TLS
    virtual SSL* ssl() noexcept { return nullptr; }
#else
    void* ssl() noexcept { return nullptr; }
#endif
  };

  struct Plain final : Impl {
    explicit Plain(beast::tcp_stream s) : stream(std::move(s)) {}
    beast::tcp_stream& tcp() noexcept override { return stream; }
    void read_some(BufferList<asio::mutable_buffer> b, IoHandler h) override {
      stream.async_read_some(b, std::move(h));
    }
    void write_some(BufferList<asio::const_buffer> b, IoHandler h) override {
      stream.async_write_some(b, std::move(h));
    }
    void handshake(beast::role_type, DoneHandler h) override {
      const auto ex = h.get_executor();
      asio::post(ex, [h = std::move(h)]() mutable { h(beast::error_code()); });
    }
    void teardown(beast::role_type role, DoneHandler h) override {
      beast::websocket::async_teardown(role, stream.socket(), std::move(h));
    }
    beast::tcp_stream stream;
  };

#if RXSYNC_NET_TLS
  struct Tls final : Impl {
    Tls(beast::tcp_stream s, std::shared_ptr<TlsContext> c)
        : context(std::move(c)), stream(std::move(s), *context) {}
    beast::tcp_stream& tcp() noexcept override { return stream.next_layer(); }
    SSL* ssl() noexcept override { return stream.native_handle(); }
    void read_some(BufferList<asio::mutable_buffer> b, IoHandler h) override {
      stream.async_read_some(b, std::move(h));
    }
    void write_some(BufferList<asio::const_buffer> b, IoHandler h) override {
      stream.async_write_some(b, std::move(h));
    }
    void handshake(beast::role_type role, DoneHandler h) override {
      stream.async_handshake(role == beast::role_type::client ? asio::ssl::stream_base::client
                                                              : asio::ssl::stream_base::server,
                             std::move(h));
    }
    void teardown(beast::role_type role, DoneHandler h) override {
      beast::async_teardown(role, stream, std::move(h));
    }
    std::shared_ptr<TlsContext> context;  // before the stream: it outlives the stream's SSL
    beast::ssl_stream<beast::tcp_stream> stream;
  };
#endif

  std::unique_ptr<Impl> impl_;
};

}  // namespace net::detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync

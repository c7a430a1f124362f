// Helpers for the TLS tests: a throwaway self-signed certificate and key made with OpenSSL's C
// API at test time (no files in the repository, no openssl program needed), and a small blocking
// HTTPS GET on plain sockets, so a check over HTTPS costs no extra Beast instantiation.
#pragma once

#if RXSYNC_NET_TLS

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace net_test {

struct TlsFiles {
  std::string certificate;  // PEM
  std::string private_key;  // PEM
};

namespace detail {
template <class T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
template <class T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, Freer<T, Free>>;

inline std::runtime_error openssl_error(const std::string& what) {
  char text[256] = "unknown error";
  if (const unsigned long e = ERR_get_error(); e != 0) ERR_error_string_n(e, text, sizeof text);
  ERR_clear_error();
  return std::runtime_error(what + ": " + text);
}

inline void add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION, X509_EXTENSION_free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) throw openssl_error("X509 extension");
}
}  // namespace detail

// A self-signed certificate (EC P-256, valid from an hour ago for a day) for `names` (a
// subjectAltName value: "DNS:localhost,IP:127.0.0.1"), and its key, as `dir`/`stem`.pem and
// `dir`/`stem`.key. It is its own CA: trusting the certificate file trusts the server.
inline TlsFiles make_self_signed(const std::filesystem::path& dir,
                                 const std::string& stem = "server",
                                 const std::string& names = "DNS:localhost,IP:127.0.0.1") {
  using detail::Owned;
  // The EVP calls that OpenSSL 1.1 and 3 both have, none of them deprecated in 3.
  Owned<EVP_PKEY_CTX, EVP_PKEY_CTX_free> kctx(EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr));
  EVP_PKEY* raw_key = nullptr;
  if (!kctx || EVP_PKEY_keygen_init(kctx.get()) != 1 ||
      EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kctx.get(), NID_X9_62_prime256v1) != 1 ||
      EVP_PKEY_keygen(kctx.get(), &raw_key) != 1)
    throw detail::openssl_error("EC key");
  Owned<EVP_PKEY, EVP_PKEY_free> key(raw_key);

  Owned<X509, X509_free> cert(X509_new());
  static std::atomic<long> serial{1};
  X509_set_version(cert.get(), 2);  // v3
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn = "rxsync test " + stem;
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  detail::add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  detail::add_extension(cert.get(), NID_subject_key_identifier, "hash");
  detail::add_extension(cert.get(), NID_subject_alt_name, names.c_str());
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) throw detail::openssl_error("X509_sign");

  TlsFiles files{(dir / (stem + ".pem")).string(), (dir / (stem + ".key")).string()};
  Owned<BIO, BIO_free_all> cert_out(BIO_new_file(files.certificate.c_str(), "w"));
  if (!cert_out || PEM_write_bio_X509(cert_out.get(), cert.get()) != 1)
    throw detail::openssl_error("writing " + files.certificate);
  Owned<BIO, BIO_free_all> key_out(BIO_new_file(files.private_key.c_str(), "w"));
  if (!key_out || PEM_write_bio_PrivateKey(key_out.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                           nullptr) != 1)
    throw detail::openssl_error("writing " + files.private_key);
  return files;
}

struct HttpsReply {
  int status = 0;
  std::string body;
};

// GET `target` from https://127.0.0.1:port, trusting only `ca_file` and checking that the
// certificate names 127.0.0.1. Blocking, with 10 s socket timeouts. Throws std::runtime_error
// when the connection, the handshake or the exchange fails.
inline HttpsReply https_get(std::uint16_t port, const std::string& target,
                            const std::string& ca_file) {
  using detail::Owned;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " failed");

  Owned<SSL_CTX, SSL_CTX_free> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx || SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1)
    throw detail::openssl_error("loading " + ca_file);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  Owned<SSL, SSL_free> ssl(SSL_new(ctx.get()));
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), "127.0.0.1");
  SSL_set_fd(ssl.get(), fd);
  if (SSL_connect(ssl.get()) != 1) throw detail::openssl_error("TLS handshake");

  const std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())) <= 0)
    throw detail::openssl_error("TLS write");
  std::string text;
  char chunk[4096];
  for (int n; (n = SSL_read(ssl.get(), chunk, sizeof chunk)) > 0;)
    text.append(chunk, static_cast<std::size_t>(n));
  ERR_clear_error();  // the server may close without a close_notify (allowed for HTTP)
  const auto split = text.find("\r\n\r\n");
  if (!text.starts_with("HTTP/1.1 ") || split == std::string::npos)
    throw std::runtime_error("not an HTTP answer: '" + text.substr(0, 64) + "'");
  return HttpsReply{std::stoi(text.substr(9, 3)), text.substr(split + 4)};
}

}  // namespace net_test

#endif  // RXSYNC_NET_TLS

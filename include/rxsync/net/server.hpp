// rxsync/net/server.hpp - SyncServer: a ServerCore on the network (Boost.Beast), serving the
// WebSocket and HTTP endpoints of docs/net.md on one port, over plain TCP or TLS. Target
// rxsync::net.
//
// Threading model:
// - start() opens the port and starts `io_threads` threads running one io_context, plus
//   `store_threads` threads for ServerCore; it returns once connections are accepted.
// - Each connection runs on its own strand (any io thread, one handler at a time), and calls
//   ServerCore on the store threads: pushes through one shared strand (ServerCore applies them
//   one at a time anyway), pulls and digests through a strand per connection. A slow commit
//   (SQLite's fsync) holds up only the pushes queued behind it, never a socket, and pushes
//   waiting never take more than one store thread away from pulls.
// - ServerCore's commit listener (on the store thread that committed) posts a Poke to every
//   connection's strand.
// - stop(), and the destructor, may be called from any thread except the server's own (a log
//   callback, say): it waits for them. Every public member is thread-safe.
//
//   rxsync::MemoryServerStore store;
//   rxsync::ServerCore core(store, rxsync::typed_merger<MyValue>(),
//   rxsync::typed_validator<MyValue>()); rxsync::net::SyncServer server(core, {.port = 8080,
//   .allow_anonymous = true}); server.start();          // serving on other threads
//   ...                      // wait for a signal, say
//   server.stop();           // graceful: pushes answered, connections closed
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <rxsync/net/detail/http_session.hpp>
#include <rxsync/net/detail/server_state.hpp>
#include <rxsync/net/detail/stream.hpp>
#include <rxsync/net/protocol.hpp>
#include <rxsync/net/server_options.hpp>
#include <rxsync/sync/server_core.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net {

// Reads the TLS files of `options` (tls_certificate_file, tls_private_key_file) as SyncServer's
// constructor does, so a program can report bad files before it opens its store. Throws
// std::invalid_argument naming the option and the file when they hold no usable certificate and
// matching key, or when the build has no TLS. Does nothing without TLS options.
inline void validate_server_tls_files(const ServerOptions& options) {
  if (options.tls()) {
    (void)detail::make_server_tls_context(options.tls_certificate_file,
                                          options.tls_private_key_file);
  }
}

// Serves one ServerCore over WebSocket, HTTP long polling and Server-Sent Events until stop().
// Not a template: one server type for every value type (ServerCore works on encoded bytes).
// Thread-safe; runs once (start() after stop() throws std::logic_error).
class SyncServer {
 public:
  // Throws std::invalid_argument for invalid options (validate_server_options()), and for TLS
  // files that hold no usable certificate or key. The core must outlive the server.
  explicit SyncServer(ServerCore& core, ServerOptions options = {})
      : core_(core),
        state_(std::make_unique<detail::ServerState>(core, checked(std::move(options)))) {}
  SyncServer(const SyncServer&) = delete;
  SyncServer& operator=(const SyncServer&) = delete;
  ~SyncServer() {
    try {
      stop();
    } catch (...) {
      // stop() refuses to run on the server's own threads; nothing better to do here.
    }
  }

  // Opens the port and serves on the server's threads; returns once connections are accepted
  // (port() tells the port). Throws std::runtime_error when the address cannot be used.
  void start() {
    std::lock_guard lock(lifecycle_mutex_);
    if (started_) throw std::logic_error("SyncServer::start(): a SyncServer starts only once");
    started_ = true;
    const ServerOptions& o = state_->options;
    state_->store_pool.emplace(o.store_threads);
    state_->push_strand.emplace(boost::asio::make_strand(state_->store_pool->get_executor()));
    state_->ioc.emplace(static_cast<int>(o.io_threads));
    gate_ = std::make_shared<CommitGate>(state_.get());
    try {
      listen();
      listener_id_ = core_.add_listener([gate = gate_](std::uint64_t head) { gate->notify(head); });
      state_->set_head(core_.head_cursor());  // after add_listener: no commit falls in between
    } catch (...) {
      gate_->close();
      if (listener_id_ != 0) core_.remove_listener(listener_id_);
      acceptor_.reset();
      state_->ioc.reset();
      state_->push_strand.reset();
      state_->store_pool->join();
      state_->store_pool.reset();
      throw;
    }
    do_accept();
    work_.emplace(state_->ioc->get_executor());
    for (std::size_t i = 0; i < o.io_threads; ++i) threads_.emplace_back([this] { run_io(); });
    running_ = true;
  }

  // Graceful stop, within options().stop_timeout: stops accepting, lets pushes in flight commit
  // and be answered, answers held long polls, sends every WebSocket an Error{shutting_down} and
  // a close frame, ends SSE streams, then closes what is left and joins the threads. Idempotent.
  // Throws std::logic_error when called from one of the server's threads.
  void stop() {
    std::lock_guard lock(lifecycle_mutex_);
    if (!running_) return;
    for (const std::thread& t : threads_) {
      if (t.get_id() == std::this_thread::get_id())
        throw std::logic_error("SyncServer::stop() called from one of the server's threads");
    }
    const auto t0 = std::chrono::steady_clock::now();
    const auto budget = state_->options.stop_timeout;
    state_->set_stopping();

    auto closed = std::make_shared<std::promise<void>>();
    boost::asio::post(acceptor_->get_executor(), [this, closed] {
      boost::system::error_code ec;
      acceptor_->close(ec);
      closed->set_value();
    });
    closed->get_future().wait_for(budget);

    state_->wait_pushes_done(t0 + budget * 6 / 10);
    state_->router.shutdown();  // pending requests: Error{shutting_down}, queued before the close
    for (auto& s : state_->sessions()) s->shutdown();
    if (!state_->wait_sessions_gone(t0 + budget)) {
      for (auto& s : state_->sessions()) s->force_close();
      state_->wait_sessions_gone(std::chrono::steady_clock::now() + std::chrono::milliseconds(500));
    }

    gate_->close();
    core_.remove_listener(listener_id_);
    work_.reset();
    state_->ioc->stop();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    state_->router.shutdown();   // requests made after the first call: their timers go now
    state_->store_pool->join();  // a push still in ServerCore finishes (never cut in half)
    acceptor_.reset();
    state_->ioc.reset();  // destroys queued handlers and the sessions they still hold
    state_->push_strand.reset();
    state_->store_pool.reset();
    running_ = false;
  }

  // The bound port (0 before start()).
  std::uint16_t port() const noexcept { return port_.load(); }
  // True from the moment stop() begins.
  bool stopping() const noexcept { return state_->stopping(); }
  bool running() const {
    std::lock_guard lock(lifecycle_mutex_);
    return running_;
  }
  ServerStats stats() const { return state_->stats(); }
  // What GET /metrics answers.
  std::string metrics_text() const { return state_->metrics_text(); }
  const ServerOptions& options() const noexcept { return state_->options; }

 private:
  // Lets ServerCore's listener reach the server until stop(), and never after.
  struct CommitGate {
    explicit CommitGate(detail::ServerState* s) : state(s) {}
    void notify(std::uint64_t head) {
      std::lock_guard lock(mutex);
      if (state != nullptr) state->notify_commit(head);
    }
    void close() {
      std::lock_guard lock(mutex);
      state = nullptr;
    }
    std::mutex mutex;
    detail::ServerState* state;
  };

  static ServerOptions checked(ServerOptions o) {
    validate_server_options(o);
    return o;
  }

  void listen() {
    using boost::asio::ip::tcp;
    const ServerOptions& o = state_->options;
    const std::string where = o.host + ":" + std::to_string(o.port);
    boost::system::error_code ec;
    tcp::resolver resolver(*state_->ioc);
    const auto endpoints =
        resolver.resolve(o.host, std::to_string(o.port),
                         tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec) throw std::runtime_error("SyncServer: cannot resolve " + where + ": " + ec.message());
    std::string why = "no address";
    for (const auto& entry : endpoints) {
      tcp::acceptor acceptor(boost::asio::make_strand(*state_->ioc));
      acceptor.open(entry.endpoint().protocol(), ec);
      if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
      if (!ec) acceptor.bind(entry.endpoint(), ec);
      if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
      if (ec) {
        why = ec.message();
        continue;
      }
      port_ = acceptor.local_endpoint().port();
      acceptor_.emplace(std::move(acceptor));
      return;
    }
    throw std::runtime_error("SyncServer: cannot listen on " + where + ": " + why);
  }

  // On the acceptor's strand.
  void do_accept() {
    acceptor_->async_accept(
        boost::asio::make_strand(*state_->ioc),
        [this](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
          if (!acceptor_->is_open() || ec == boost::asio::error::operation_aborted) return;
          if (ec) {
            // Out of file descriptors, say: try again shortly rather than spin.
            state_->log(ServerLogEvent::Kind::info, "", "", "", "accept failed: " + ec.message());
            auto timer = std::make_shared<boost::asio::steady_timer>(
                acceptor_->get_executor(), std::chrono::milliseconds(100));
            timer->async_wait([this, timer](boost::system::error_code) {
              if (acceptor_->is_open()) do_accept();
            });
            return;
          }
          if (state_->stopping()) return;  // the socket closes as it goes out of scope
          // Small frames (a Poke, then an Ack) must not wait for the peer's delayed ACK.
          boost::system::error_code nodelay_ec;
          socket.set_option(boost::asio::ip::tcp::no_delay(true), nodelay_ec);
          boost::system::error_code peer_ec;
          const auto peer = socket.remote_endpoint(peer_ec);
          std::string name = peer_ec ? std::string("?") : peer.address().to_string();
          if (!peer_ec) name += ":" + std::to_string(peer.port());
          // With TLS options the stream speaks TLS; the session does the handshake first.
          detail::Stream stream(boost::beast::tcp_stream(std::move(socket)), state_->tls);
          std::make_shared<detail::HttpSession>(*state_, std::move(stream), std::move(name))
              ->start();
          do_accept();
        });
  }

  void run_io() {
    for (;;) {
      try {
        state_->ioc->run();
        return;
      } catch (const std::exception& e) {
        // A handler threw: log it and keep serving the other connections.
        state_->log(ServerLogEvent::Kind::info, "", "", "",
                    std::string("internal error in a connection handler: ") + e.what());
      } catch (...) {
        state_->log(ServerLogEvent::Kind::info, "", "", "",
                    "internal error in a connection handler");
      }
    }
  }

  ServerCore& core_;
  std::unique_ptr<detail::ServerState> state_;
  mutable std::mutex lifecycle_mutex_;
  bool started_ = false;
  bool running_ = false;
  std::atomic<std::uint16_t> port_{0};
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::shared_ptr<CommitGate> gate_;
  std::uint64_t listener_id_ = 0;
};

}  // namespace net
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync

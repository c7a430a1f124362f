// A translation unit that sees only the declaration headers (<rxsync/fwd.hpp> and those of net/
// and testing/), like a user's header that names rxsync types without using them: the
// declarations must be enough for pointers, references and function declarations, the defaults
// must be there, and nothing may be defined.
#include <rxsync/fwd.hpp>
#include <rxsync/net/fwd.hpp>
#include <rxsync/testing/fwd.hpp>

#include <string>
#include <type_traits>

#include "rxsync_catch.hpp"

namespace {

template <class T>
concept Complete = requires { sizeof(T); };

}  // namespace

// What a user's header does with the declarations.
namespace user_header {

using Conversation = rxsync::ConversationState<>;
using Service = rxsync::SyncService<
    std::string, Conversation,
    rxsync::net::NetTransport<std::string, Conversation, rxsync::EventLoopThread>,
    rxsync::FileStorage, rxsync::EventLoopThread>;

struct ConversationScreen {
  void attach(rxsync::EventLoopThread& loop, Service& service);
  rxsync::Observable<rxsync::SyncStatus> status(const std::string& key) const;
  void show(const Conversation& state, const rxsync::VectorClock<>& clock);

  rxsync::EventLoopThread* loop_ = nullptr;
  Service* service_ = nullptr;
  rxsync::BehaviorSubject<int>* unread_ = nullptr;
  rxsync::LruCache<std::string, std::string>* titles_ = nullptr;
  rxsync::testing::TestScheduler* test_scheduler_ = nullptr;
  const rxsync::ops::ThrottleConfig* throttle_ = nullptr;
};

}  // namespace user_header

static_assert(!Complete<rxsync::Subscription>);
static_assert(!Complete<rxsync::Observable<int>>);
static_assert(!Complete<user_header::Service>);
static_assert(!Complete<rxsync::net::SyncServer>);

static_assert(std::is_same_v<rxsync::PublishSubject<int>,
                             rxsync::PublishSubject<int, rxsync::SingleThreaded>>);
static_assert(std::is_same_v<rxsync::LruCache<std::string, int>,
                             rxsync::LruCache<std::string, int, std::hash<std::string>,
                                              std::equal_to<std::string>>>);
static_assert(std::is_same_v<rxsync::VectorClock<>, rxsync::VectorClock<std::string>>);
static_assert(std::is_same_v<rxsync::ExponentialBackoff<>,
                             rxsync::ExponentialBackoff<rxsync::DefaultRandom>>);
static_assert(
    std::is_same_v<user_header::Service,
                   rxsync::SyncService<
                       std::string, user_header::Conversation,
                       rxsync::net::NetTransport<std::string, user_header::Conversation,
                                                 rxsync::EventLoopThread, rxsync::DefaultCodec>,
                       rxsync::FileStorage, rxsync::EventLoopThread, rxsync::CrdtMerge,
                       rxsync::DefaultCodec, std::hash<std::string>>>);

// The declarations name the same entities as the definitions: in the ABI namespace.
static_assert(std::is_same_v<rxsync::Subscription, rxsync::RXSYNC_ABI_NAMESPACE::Subscription>);

// Declared only, never defined: naming them in an unevaluated operand is enough to check them.
static_assert(std::is_member_function_pointer_v<decltype(&user_header::ConversationScreen::show)>);
static_assert(
    std::is_member_function_pointer_v<decltype(&user_header::ConversationScreen::status)>);

TEST_CASE("fwd.hpp alone: pointers to rxsync types") {
  user_header::ConversationScreen screen;
  CHECK(screen.loop_ == nullptr);
  CHECK(screen.service_ == nullptr);
  CHECK(screen.unread_ == nullptr);
  CHECK(screen.titles_ == nullptr);
}

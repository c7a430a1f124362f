// rxsync/net/fwd.hpp - declarations of the classes and class templates of rxsync::net (the
// target rxsync::net), without definitions; see <rxsync/fwd.hpp> for the rest of rxsync.
#pragma once

#include <rxsync/fwd/net/net_transport.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace net {

struct NetTransportOptions;
struct ServerUrl;
struct ConnectionStatus;
struct ChannelMessage;
struct ChannelReply;
struct RequestError;
class SyncServer;
struct ServerOptions;
struct ServerStats;
struct ServerLogEvent;

}  // namespace net
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync

// rxsync/codec/fwd.hpp - the codec's names without its definitions: BinaryWriter, BinaryReader,
// DecodeError, DefaultCodec and Serializer, for a header that names them without using them.
#pragma once

#include <rxsync/fwd/codec/serializer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

class BinaryWriter;
class BinaryReader;
struct DecodeError;
struct DefaultCodec;

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync

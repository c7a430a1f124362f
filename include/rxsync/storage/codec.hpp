// rxsync/storage/codec.hpp - what this header used to define now lives in the codec layer; it
// stays so that existing includes keep working, and brings in the same names as before.
//
//   <rxsync/codec/binary.hpp>         BinaryWriter, BinaryReader, DecodeError
//   <rxsync/codec/serializer.hpp>     Serializer, BinarySerializable, write_value, read_value,
//                                     encode_value, decode_value
//   <rxsync/codec/default_codec.hpp>  DefaultCodec
//   <rxsync/codec/crdt.hpp>           the binary forms of the CRDTs, Versioned and records, which
//                                     their own headers used to carry
// New code includes the codec headers it uses.
#pragma once

#include <rxsync/codec/binary.hpp>
#include <rxsync/codec/crdt.hpp>
#include <rxsync/codec/default_codec.hpp>
#include <rxsync/codec/serializer.hpp>
#include <rxsync/core/concepts.hpp>
#include <rxsync/version.hpp>

// The binary format is a promise to data already on disk and on the wire: these bytes were
// written by the encoders before serialisation became a customisation point, and every type must
// still decode them to the same value and re-encode them to the same bytes.
#include <rxsync/storage/codec.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "format_values.hpp"
#include "rxsync_catch.hpp"

namespace {

using namespace rxsync_format;

std::string unhex(std::string_view hex) {
  std::string out;
  const auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  }
  return out;
}

// DefaultCodec: the top-level form (what an Outbox or a storage record holds).
template <class T>
void check_top(const T& expected, std::string_view hex) {
  const std::string bytes = unhex(hex);
  const T decoded = rxsync::DefaultCodec::decode(bytes, static_cast<T*>(nullptr));
  CHECK(decoded == expected);
  CHECK(rxsync::DefaultCodec::encode(decoded) == bytes);
  CHECK(rxsync::DefaultCodec::encode(expected) == bytes);
}

// write_value / read_value: the nested form (inside vectors, records, wire frames).
template <class T>
void check_nested(const T& expected, std::string_view hex) {
  const std::string bytes = unhex(hex);
  const T decoded = rxsync::decode_value<T>(bytes);
  CHECK(decoded == expected);
  CHECK(rxsync::encode_value(decoded) == bytes);
  CHECK(rxsync::encode_value(expected) == bytes);
}

}  // namespace

TEST_CASE("format: every CRDT keeps its bytes", "[codec][format]") {
  check_top(vector_clock(), "560305616c6963650303626f6201056361726f6cac02");
  check_top(gcounter(), "470205616c6963650503626f62c801");
  check_top(pncounter(), "50470105616c69636507470205616c6963650103626f6203");
  check_top(lww(), "4c80e2ea980905616c6963650568656c6c6f");
  check_top(max_register(), "4d05");
  check_top(max_time(), "4d80fbb45e");
  check_top(mv_register(),
            "520205616c6963650103626f620102046c6566740105616c696365010572696768740103626f6201");
  check_top(or_set(), "530205616c6963650203626f62010201790103626f6201017a0105616c69636502");
  check_top(remove_wins_set(),
            "570205616c6963650203626f62010201780105616c696365010101790103626f620100");
  check_top(enable_wins(), "450205616c6963650103626f6201010105616c69636501");
  check_top(disable_wins(), "440205616c6963650103626f6201010205616c696365010103626f620100");
  check_top(or_map(),
            "4f0205616c6963650203626f620102026b310105616c69636501026b320103626f620103026b314c80dac4"
            "0905616c696365027631026b324c80b4891303626f62027632026b334c808ece1c05616c696365027633");
  check_top(or_map_of_counters(),
            "4f0105616c6963650101056c696b65730105616c6963650101056c696b6573470105616c69636502");
}

TEST_CASE("format: Versioned values and records keep their bytes", "[codec][format]") {
  check_top(versioned(), "76560205616c6963650103626f62010764726166742032");
  check_top(versioned_conversation(), "7656010570686f6e650101000c047465616d80c8afa025");
  check_top(note(),
            "7203154c80bfd6060570686f6e650967726f6365726965731753010570686f6e65010104686f6d6501"
            "0570686f6e6501144501066c6170746f70010101066c6170746f7001");
}

TEST_CASE("format: the models keep their bytes", "[codec][format]") {
  check_top(conversation(), "01000c047465616d80c8afa025");
  check_top(chat_message(), "026d318084af5f0475736572086869207468657265");
  check_top(chat_thread(),
            "5402743105706c616e7302026d318084af5f0475736572086869207468657265026d328088debe0109"
            "617373697374616e740568656c6c6fac02");
  const std::string state =
      "4345010570686f6e650101010570686f6e65014501066c6170746f70010052010570686f6e6501010401"
      "0570686f6e65014c809bee02066c6170746f70077765656b656e644d80ade204";
  check_top(conversation_state(), state);
  check_top(demo_document(),
            state +
                "02026d318084af5f0475736572086869207468657265026d328088debe0109617373697374616e74"
                "0568656c6c6f");
}

TEST_CASE("format: nested std values keep their bytes", "[codec][format]") {
  check_nested(lww(), "4c80e2ea980905616c6963650568656c6c6f");
  check_nested(vector_of_optionals(), "0301020001dfc508");
  check_nested(pair_of_string_and_duration(), "03610062b817");
  check_nested(enums(), "02030e");
  check_nested(optional_register(), "014c80e2ea980905616c6963650568656c6c6f");
  check_nested(vector_of_sets(),
               "02530205616c6963650203626f62010201790103626f6201017a0105616c69636502530000");
  check_nested(at(-5), "fface204");
  check_nested(std::string("xyz"), "0378797a");
  check_nested(std::int64_t{-300}, "d704");
  check_nested(std::uint16_t{300}, "ac02");
  check_nested(2.0, "0000000000000040");
}

TEST_CASE("format: DefaultCodec scalars and strings keep their bytes", "[codec][format]") {
  check_top(std::string("a\0b", 3), "610062");
  check_top(true, "01");
  check_top(std::int32_t{-5}, "fbffffff");
  check_top(std::uint64_t{0x0102030405060708}, "0807060504030201");
  check_top('x', "78");
  check_top(std::int8_t{-1}, "ff");
  check_top(1.5, "000000000000f83f");
  check_top(-0.25f, "000080be");
  if constexpr (std::numeric_limits<long double>::digits <= 64) {  // two mantissa chunks
    check_top(3.0L, "0004000000c000000000");
  }
}

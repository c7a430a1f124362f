// rxsync/codec/detail/long_double.hpp - the portable binary form of long double.
#pragma once

#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <rxsync/codec/binary.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

// long double differs between platforms (x87 80-bit, IEEE quad, plain double) and has padding,
// so it is written portably: class tag, sign, binary exponent and 32-bit mantissa chunks.
inline constexpr int kLongDoubleChunks = (std::numeric_limits<long double>::digits + 31) / 32;

inline void put_long_double(BinaryWriter& w, long double v) {
  if (std::isnan(v)) {
    w.put_u8(std::signbit(v) ? 4 : 3);
    return;
  }
  if (std::isinf(v)) {
    w.put_u8(v < 0 ? 2 : 1);
    return;
  }
  w.put_u8(std::signbit(v) ? 5 : 0);
  int exponent = 0;
  long double m = std::frexp(std::fabs(v), &exponent);  // exact: scales by a power of two
  w.put_signed(exponent);
  for (int i = 0; i < kLongDoubleChunks; ++i) {
    m = std::ldexp(m, 32);
    const long double whole = std::floor(m);
    w.put_fixed(static_cast<std::uint32_t>(whole));
    m -= whole;
  }
}

inline long double get_long_double(BinaryReader& r) {
  const std::size_t start = r.position();
  const std::uint8_t cls = r.get_u8();
  long double v = 0;
  if (cls == 1 || cls == 2) {
    v = cls == 1 ? std::numeric_limits<long double>::infinity()
                 : -std::numeric_limits<long double>::infinity();
  } else if (cls == 3 || cls == 4) {
    v = cls == 3 ? std::numeric_limits<long double>::quiet_NaN()
                 : -std::numeric_limits<long double>::quiet_NaN();
  } else if (cls == 0 || cls == 5) {
    const std::int64_t exponent = r.get_signed();
    if (exponent < INT_MIN / 2 || exponent > INT_MAX / 2)
      r.fail("long double exponent out of range");
    long double m = 0;
    for (int i = 0; i < kLongDoubleChunks; ++i) {
      m += std::ldexp(static_cast<long double>(r.get_fixed<std::uint32_t>()), -32 * (i + 1));
    }
    v = std::ldexp(m, static_cast<int>(exponent));
    if (cls == 5) v = -v;
  } else {
    r.fail("bad long double class " + std::to_string(cls));
  }
  // Only the canonical encoding of the value is accepted (re-encoding must give the same bytes).
  BinaryWriter check;
  put_long_double(check, v);
  if (check.str() != r.consumed_since(start)) r.fail("non-canonical long double encoding");
  return v;
}

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync

// CRDT laws (commutative, associative, idempotent, inflating, convergent, serializable) on
// reachable states of the clock, register, counter and flag types.
#include <rxsync/crdt/counters.hpp>
#include <rxsync/crdt/flags.hpp>
#include <rxsync/crdt/registers.hpp>
#include <rxsync/crdt/vector_clock.hpp>

#include <string>

#include "crdt_laws.hpp"

namespace {

using rxsync::TimePoint;

struct VectorClockModel {
  using Type = rxsync::VectorClock<std::string>;
  static void mutate(Type& x, const std::string& actor, std::mt19937_64&, TimePoint) {
    x.tick(actor);
  }
};
// Integer actors work the same way.
struct IntVectorClockModel {
  using Type = rxsync::VectorClock<std::uint64_t>;
  static void mutate(Type& x, const std::string& actor, std::mt19937_64&, TimePoint) {
    x.tick(static_cast<std::uint64_t>(actor.back() - '0') * 1000);
  }
};
struct LwwModel {
  using Type = rxsync::LwwRegister<std::string>;
  static void mutate(Type& x, const std::string& actor, std::mt19937_64& rng, TimePoint now) {
    x.assign(std::string(1, static_cast<char>('a' + rng() % 3)), now, actor);
  }
};
struct MaxModel {
  using Type = rxsync::MaxRegister<std::uint64_t>;
  static void mutate(Type& x, const std::string&, std::mt19937_64& rng, TimePoint) {
    x.assign(rng() % 50);
  }
};
struct MvModel {
  using Type = rxsync::MvRegister<int>;
  static void mutate(Type& x, const std::string& actor, std::mt19937_64& rng, TimePoint) {
    x.assign(actor, static_cast<int>(rng() % 4));
  }
};
struct GCounterModel {
  using Type = rxsync::GCounter<std::string>;
  static void mutate(Type& x, const std::string& actor, std::mt19937_64& rng, TimePoint) {
    x.increment(actor, rng() % 4);
  }
};
struct PNCounterModel {
  using Type = rxsync::PNCounter<std::string>;
  static void mutate(Type& x, const std::string& actor, std::mt19937_64& rng, TimePoint) {
    if (rng() % 2 == 0)
      x.increment(actor, 1 + rng() % 3);
    else
      x.decrement(actor, 1 + rng() % 3);
  }
};
struct EnableWinsModel {
  using Type = rxsync::EnableWinsFlag<std::string>;
  static void mutate(Type& x, const std::string& actor, std::mt19937_64& rng, TimePoint) {
    if (rng() % 2 == 0)
      x.enable(actor);
    else
      x.disable();
  }
};
struct DisableWinsModel {
  using Type = rxsync::DisableWinsFlag<std::string>;
  static void mutate(Type& x, const std::string& actor, std::mt19937_64& rng, TimePoint) {
    if (rng() % 2 == 0)
      x.enable(actor);
    else
      x.disable(actor);
  }
};

}  // namespace

TEST_CASE("laws: VectorClock (string and integer actors)") {
  crdt_laws::check_laws<VectorClockModel>();
  crdt_laws::check_laws<IntVectorClockModel>();
}
TEST_CASE("laws: LwwRegister") { crdt_laws::check_laws<LwwModel>(); }
TEST_CASE("laws: MaxRegister") { crdt_laws::check_laws<MaxModel>(); }
TEST_CASE("laws: MvRegister") { crdt_laws::check_laws<MvModel>(); }
TEST_CASE("laws: GCounter") { crdt_laws::check_laws<GCounterModel>(); }
TEST_CASE("laws: PNCounter") { crdt_laws::check_laws<PNCounterModel>(); }
TEST_CASE("laws: EnableWinsFlag") { crdt_laws::check_laws<EnableWinsModel>(); }
TEST_CASE("laws: DisableWinsFlag") { crdt_laws::check_laws<DisableWinsModel>(); }

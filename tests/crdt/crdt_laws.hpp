// Property-test harness for CRDT laws on *reachable* states.
//
// explore() runs seeded random operations on 2-5 replicas with random merges in between and keeps
// every state it passes through; check_laws() then checks, on that pool, that merge is
// commutative, associative and idempotent, that every update inflated its state, that delivery
// in any order with duplicates converges, and that encodings round trip and reject corruption.
//
// A Model provides:
//   using Type = X;
//   static void mutate(X&, const std::string& actor, std::mt19937_64&, rxsync::TimePoint now);
// and optionally static X join(const X&, const X&) (default: copy + merge()).
#pragma once

#include <rxsync/core/time.hpp>
#include <rxsync/storage/codec.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "rxsync_catch.hpp"

namespace crdt_laws {

template <class Model>
concept HasJoin = requires(const typename Model::Type& a) {
  { Model::join(a, a) } -> std::same_as<typename Model::Type>;
};

template <class Model>
typename Model::Type join(const typename Model::Type& a, const typename Model::Type& b) {
  if constexpr (HasJoin<Model>) {
    return Model::join(a, b);
  } else {
    typename Model::Type out = a;
    out.merge(b);
    return out;
  }
}

template <class X>
struct History {
  std::vector<X> pool;    // every state reached, by any replica
  std::vector<X> finals;  // each replica's last state
  std::size_t updates = 0;
  std::size_t merges = 0;
};

inline std::size_t pick(std::mt19937_64& rng, std::size_t n) {
  return static_cast<std::size_t>(rng() % n);
}

template <class Model>
History<typename Model::Type> explore(std::uint64_t seed, std::size_t replicas, int steps) {
  using X = typename Model::Type;
  std::mt19937_64 rng(seed);
  History<X> h;
  std::vector<X> states(replicas);
  std::vector<std::int64_t> skew(replicas);
  for (auto& s : skew) s = static_cast<std::int64_t>(rng() % 7) - 3;  // clocks disagree a little
  h.pool.push_back(X{});
  for (int step = 0; step < steps; ++step) {
    const std::size_t r = pick(rng, replicas);
    if (rng() % 3 == 0 && replicas > 1) {
      std::size_t from = pick(rng, replicas - 1);
      if (from >= r) ++from;
      const X before = states[r];
      states[r] = join<Model>(states[r], states[from]);
      REQUIRE(join<Model>(before, states[r]) == states[r]);  // merging inflates too
      ++h.merges;
    } else {
      const X before = states[r];
      // Coarse time so that equal timestamps on different replicas actually happen.
      const rxsync::TimePoint now{rxsync::Duration{step / 4 + skew[r]}};
      Model::mutate(states[r], "r" + std::to_string(r), rng, now);
      INFO("seed " << seed << " step " << step);
      REQUIRE(join<Model>(before, states[r]) == states[r]);  // the update inflated the state
      ++h.updates;
    }
    h.pool.push_back(states[r]);
  }
  h.finals = states;
  return h;
}

template <class Model>
void check_algebra(const History<typename Model::Type>& h, std::mt19937_64& rng) {
  using X = typename Model::Type;
  for (int i = 0; i < 150; ++i) {
    const X& a = h.pool[pick(rng, h.pool.size())];
    const X& b = h.pool[pick(rng, h.pool.size())];
    const X& c = h.pool[pick(rng, h.pool.size())];
    REQUIRE(join<Model>(a, a) == a);
    if constexpr (requires(X& x) { x.merge(x); }) {
      X self = a;
      self.merge(self);  // aliasing: merging an object into itself
      REQUIRE(self == a);
    }
    REQUIRE(join<Model>(a, b) == join<Model>(b, a));
    REQUIRE(join<Model>(join<Model>(a, b), c) == join<Model>(a, join<Model>(b, c)));
  }
}

// Every state delivered 1-3 times, in two different random orders, to a fresh replica.
template <class Model>
void check_convergence(const History<typename Model::Type>& h, std::mt19937_64& rng) {
  using X = typename Model::Type;
  const auto deliver_all = [&] {
    std::vector<const X*> deliveries;
    for (const X& s : h.pool) {
      const std::size_t copies = 1 + pick(rng, 3);
      for (std::size_t k = 0; k < copies; ++k) deliveries.push_back(&s);
    }
    std::shuffle(deliveries.begin(), deliveries.end(), rng);
    X replica{};
    for (const X* s : deliveries) replica = join<Model>(replica, *s);
    return replica;
  };
  X from_finals{};
  for (const X& s : h.finals) from_finals = join<Model>(from_finals, s);
  const X first = deliver_all();
  const X second = deliver_all();
  REQUIRE(first == second);
  REQUIRE(first == from_finals);
}

template <class Model>
void check_encoding(const History<typename Model::Type>& h, std::mt19937_64& rng) {
  using X = typename Model::Type;
  for (const X& s : h.pool) {
    const std::string bytes = rxsync::DefaultCodec::encode(s);
    REQUIRE(rxsync::DefaultCodec::decode(bytes, static_cast<X*>(nullptr)) == s);
  }
  // Corruption: every truncation of a rich state, and random byte flips, never crash; truncations
  // always raise DecodeError.
  const X& rich = h.finals.front();
  const std::string bytes = rxsync::DefaultCodec::encode(rich);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    REQUIRE_THROWS_AS(rxsync::DefaultCodec::decode(bytes.substr(0, cut), static_cast<X*>(nullptr)),
                      rxsync::DecodeError);
  }
  REQUIRE_THROWS_AS(rxsync::DefaultCodec::decode(bytes + '\0', static_cast<X*>(nullptr)),
                    rxsync::DecodeError);
  for (int i = 0; i < 200 && !bytes.empty(); ++i) {
    std::string bad = bytes;
    bad[pick(rng, bad.size())] = static_cast<char>(rng() & 0xff);
    try {
      (void)rxsync::DefaultCodec::decode(bad, static_cast<X*>(nullptr));
    } catch (const rxsync::DecodeError&) {
    }
  }
}

// Runs everything for a few seeds and replica counts 2..5.
template <class Model>
void check_laws(int steps = 120) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const std::size_t replicas = 2 + static_cast<std::size_t>(seed % 4);
    INFO("seed " << seed << ", " << replicas << " replicas");
    const auto h = explore<Model>(seed * 7919, replicas, steps);
    REQUIRE(h.updates > 0);
    REQUIRE(h.merges > 0);
    std::mt19937_64 rng(seed);
    check_algebra<Model>(h, rng);
    check_convergence<Model>(h, rng);
    check_encoding<Model>(h, rng);
  }
}

}  // namespace crdt_laws

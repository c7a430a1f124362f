// Test transports for BatchOrchestrator: a scripted one that records every send and lets the
// test answer each batch when it wants (or at once, from inside send()).
#pragma once

#include <rxsync/sync/batch_types.hpp>

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace rxsync_test {

template <class Key = std::string, class Req = std::string>
struct ScriptedTransport {
  using Item = rxsync::BatchItem<Key, Req>;
  struct Sent {
    std::vector<Item> items;
    rxsync::BatchDone<Key, Req> done;
  };

  std::vector<Sent> sent;
  // When set, every batch is answered from inside send() with this function's outcomes.
  std::function<std::vector<rxsync::ItemOutcome>(const std::vector<Item>&)> auto_reply;

  void send(std::vector<Item> batch, rxsync::BatchDone<Key, Req> done) {
    if (auto_reply) {
      auto outcomes = auto_reply(batch);
      sent.push_back({std::move(batch), nullptr});
      done(std::move(outcomes));
      return;
    }
    sent.push_back({std::move(batch), std::move(done)});
  }

  // Answers batch `i` with the same outcome for every item.
  void reply_all(std::size_t i, rxsync::ItemOutcome outcome) {
    sent.at(i).done(std::vector<rxsync::ItemOutcome>(sent.at(i).items.size(), outcome));
  }

  std::vector<Key> keys(std::size_t i) const {
    std::vector<Key> out;
    for (const auto& item : sent.at(i).items) out.push_back(item.key);
    return out;
  }
};

}  // namespace rxsync_test

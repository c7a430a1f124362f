// rxsync/sync/detail/sync_core_events.hpp - how SyncCore reacts to push progress and pulls.
//
// Kept apart from the core's declaration so each stays readable: per-key status from the
// orchestrator's events, merging of pulled changes, and the failed-edit list. Runs on the
// scheduler, except set_status, which also runs on the thread that queues an edit.
#pragma once

#include <rxsync/sync/detail/sync_core.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {
namespace detail {

template <class Key, class Value, class Transport, class Store, class Sched, class Merge,
          class Codec, class Hash>
void SyncCore<Key, Value, Transport, Store, Sched, Merge, Codec, Hash>::on_event(
    const typename Orchestrator::Event& e) {
  const Key& key = e.item.key;
  const std::uint64_t version = e.item.request.version;
  const SyncStatus current = status(key);
  const bool latest = current.version == version;
  switch (e.kind) {
    case BatchEventKind::sent:
      // Not for a copy of a version already acknowledged (its record is gone).
      if (latest && outbox_.holds(key, version))
        set_status(key, SyncStatus{SyncState::syncing, current.last_synced, current.attempts,
                                   current.last_error, version});
      break;
    case BatchEventKind::delivered: {
      if (!value_is_durable(key)) {
        // The server has the edit, but the local value is only in the outbox record: keep the
        // record (the sweeper sends it again) until the value is written.
        if (latest)
          set_status(key, SyncStatus{SyncState::pending, current.last_synced, current.attempts,
                                     "writing the local value failed; will retry", version});
        break;
      }
      bool synced = false;
      try {
        synced = outbox_.mark_synced(key, version);
      } catch (const std::exception&) {
        // The record could not be removed: it stays, and is sent (and acknowledged) again.
        count_storage_error();
        if (latest)
          set_status(key, SyncStatus{SyncState::pending, current.last_synced, current.attempts,
                                     "removing the outbox record failed; will retry", version});
        break;
      }
      if (synced) {
        {
          std::lock_guard lock(mutex_);
          ++stats_.succeeded;
        }
        // Out of the pending set before observers hear `synced`, and only while no newer edit
        // has a record: an observer, or another thread, may queue one at any moment, and its
        // add always follows its outbox record.
        if (!outbox_.contains(key)) {
          pending_.erase(key);
          if (outbox_.contains(key)) pending_.add(key);
        }
        poller_.set_queue_depth(pending_.size());
        set_status(key, SyncStatus{SyncState::synced, sched_.now(), 0, {}, version});
      }
      break;
    }
    case BatchEventKind::retrying: {
      // By default a send that got no answer is not the edit's fault: it is neither written to
      // the outbox (no disk write per retry while offline) nor counted toward a cap.
      const std::string error =
          e.network ? "no answer from the server (offline?); retrying" : "send failed; retrying";
      if (!e.network || options_.batch.count_network_failures)
        record_in_outbox([&] { outbox_.record_failure(key, version, error); });
      {
        std::lock_guard lock(mutex_);
        ++stats_.retried;
      }
      if (latest)
        set_status(key, SyncStatus{SyncState::pending, current.last_synced, e.item.attempts, error,
                                   version});
      break;
    }
    case BatchEventKind::dead_lettered: {
      {
        std::lock_guard lock(mutex_);
        ++stats_.failed;
      }
      if (e.rejected) {
        // Data the server will never accept: failed for good (kept in the outbox and reported),
        // not retried by the sweeper. A newer edit of the key starts over.
        record_in_outbox([&] { outbox_.mark_failed(key, version, "rejected by the server"); });
        if (latest)
          set_status(key, SyncStatus{SyncState::failed, current.last_synced, e.item.attempts,
                                     "rejected by the server", version});
        break;
      }
      const std::string error = "gave up after " + std::to_string(e.item.attempts) + " sends";
      record_in_outbox([&] { outbox_.record_failure(key, version, error); });
      if (latest)
        set_status(key, SyncStatus{SyncState::failed, current.last_synced, e.item.attempts,
                                   error + "; the sweeper retries it", version});
      break;
    }
  }
}

// Merges a pulled page into the local state. Returns true when the next page must be pulled
// at once (the server said `more`).
template <class Key, class Value, class Transport, class Store, class Sched, class Merge,
          class Codec, class Hash>
bool SyncCore<Key, Value, Transport, Store, Sched, Merge, Codec, Hash>::apply_pull(
    PullResult<Key, Value> result, std::uint64_t edits_at_send) {
  std::vector<std::pair<Key, Value>> changed;
  std::vector<std::pair<Key, Value>> repush;
  {
    std::lock_guard lock(mutex_);
    ++stats_.pulls;
    if (!result.ok) {
      ++stats_.pull_failures;
      return false;
    }
    // A value written earlier that is still not durable (its write failed) must be written
    // before the cursor moves past it, or a restart would never pull it again.
    for (auto it = dirty_values_.begin(); it != dirty_values_.end();) {
      const Key key = *it++;
      if (auto v = local_.find(key); v != local_.end()) write_value_locked(key, v->second);
    }
    for (auto& [key, remote] : result.changes) {
      ++stats_.changes_pulled;
      auto it = local_.find(key);
      if (it != local_.end() && it->second == remote) continue;
      Value merged = it == local_.end() ? remote : merge_(it->second, remote);
      if (it != local_.end() && merged == it->second) continue;
      if (it != local_.end() && (edited_since_pull_.count(key) != 0 ||
                                 dirty_values_.count(key) != 0 || outbox_.contains(key))) {
        ++stats_.conflicts_resolved;  // both sides changed it: the merge policy combined them
      }
      local_.insert_or_assign(key, merged);
      write_value_locked(key, merged);
      changed.emplace_back(key, std::move(merged));
    }
    std::erase_if(edited_since_pull_, [&](const auto& kv) { return kv.second <= edits_at_send; });
    if (result.reset) {
      // The server lost (or replaced) what it had: everything known here goes up again.
      ++stats_.resets;
      repush.assign(local_.begin(), local_.end());
      cursor_ = 0;
    }
    if (dirty_values_.empty() && result.cursor != cursor_) {
      try {
        storage_.put(cursor_key(), DefaultCodec::encode(result.cursor));
        cursor_ = result.cursor;
      } catch (const std::exception&) {
        ++stats_.storage_errors;  // the same changes come again with the next pull
      }
    }
  }
  for (auto& [key, value] : changed) emit_value(key, value);
  for (auto& [key, value] : repush) {
    try {
      queue_for_sync(key, value);
    } catch (const std::exception&) {
      // The outbox is not writable (or the service stopped): the next reset pull repeats it.
      std::lock_guard lock(mutex_);
      ++stats_.storage_errors;
    }
  }
  return result.more;
}

template <class Key, class Value, class Transport, class Store, class Sched, class Merge,
          class Codec, class Hash>
void SyncCore<Key, Value, Transport, Store, Sched, Merge, Codec, Hash>::set_status(const Key& key,
                                                                                   SyncStatus s) {
  std::optional<Value> failed_value;
  if (s.state == SyncState::failed) {
    if (auto rec = outbox_.get(key)) failed_value = std::move(rec->value);
  }
  Subject<SyncStatus> subject = [&] {
    std::lock_guard lock(mutex_);
    return status_subject_locked(key);
  }();
  std::optional<std::vector<Failure>> list;
  {
    std::lock_guard lock(mutex_);
    bool changed = false;
    if (s.state == SyncState::failed) {
      if (!failed_value) {
        if (auto it = local_.find(key); it != local_.end()) failed_value = it->second;
      }
      if (failed_value) {
        Failure f{key, std::move(*failed_value), s.version, s.attempts, s.last_error};
        auto [it, inserted] = failed_.try_emplace(key, f);
        if (!inserted && !(it->second == f)) it->second = std::move(f);
        changed = true;
      }
    } else {
      changed = failed_.erase(key) > 0;
    }
    if (changed) {
      list.emplace();
      for (const auto& [k, f] : failed_) list->push_back(f);
      std::sort(list->begin(), list->end(),
                [](const Failure& a, const Failure& b) { return a.version < b.version; });
    }
  }
  if (!(subject.value() == s)) subject.on_next(s);
  if (list) failures_.on_next(*list);
}

}  // namespace detail
}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync

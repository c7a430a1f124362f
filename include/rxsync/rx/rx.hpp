// rxsync/rx/rx.hpp - the whole reactive layer: observables, sources, subjects, operators.
#pragma once

#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/rx/operators/buffer.hpp>
#include <rxsync/rx/operators/catch_error.hpp>
#include <rxsync/rx/operators/combining.hpp>
#include <rxsync/rx/operators/concat.hpp>
#include <rxsync/rx/operators/delay_timeout.hpp>
#include <rxsync/rx/operators/filtering.hpp>
#include <rxsync/rx/operators/finalize.hpp>
#include <rxsync/rx/operators/merge_map.hpp>
#include <rxsync/rx/operators/rate_limiting.hpp>
#include <rxsync/rx/operators/repeat.hpp>
#include <rxsync/rx/operators/retry_operators.hpp>
#include <rxsync/rx/operators/share.hpp>
#include <rxsync/rx/operators/switch_map.hpp>
#include <rxsync/rx/operators/take_until.hpp>
#include <rxsync/rx/operators/transform.hpp>
#include <rxsync/rx/operators/zip.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/rx/subjects/behavior_subject.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>
#include <rxsync/rx/subjects/replay_subject.hpp>
#include <rxsync/rx/subjects/set_subject.hpp>

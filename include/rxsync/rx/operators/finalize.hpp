// rxsync/rx/operators/finalize.hpp - run a callback when a subscription ends.
//
// f() runs exactly once, after the upstream has been unsubscribed: when the source completes
// or errors (after that event was passed downstream) or when the subscriber unsubscribes (RxJS
// finalize), on the thread where that happens. An exception from f() goes to the
// unhandled-error hook, since a teardown cannot throw.
#pragma once

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include <rxsync/core/subscription.hpp>
#include <rxsync/rx/observable.hpp>
#include <rxsync/rx/observer.hpp>
#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

namespace detail {

template <class Down>
class FinalizeSink : public CuttableSink<Down> {
 public:
  using CuttableSink<Down>::CuttableSink;
  template <class V>
  void on_next(const V& v) {
    this->down_.on_next(v);
  }
  void on_error(std::exception_ptr e) {
    this->down_.on_error(std::move(e));
    this->cut();
  }
  void on_completed() {
    this->down_.on_completed();
    this->cut();
  }
};

template <class Src, class F>
struct FinalizeStrategy {
  Src src;
  F f;
  template <class O>
  void subscribe(O obs) const {
    FinalizeSink<O> sink(std::move(obs));
    std::shared_ptr<DisposableList> list = sink.upstream_list();
    if (!sink.is_disposed()) src.subscribe_observer(std::move(sink));
    // Added last, so it runs after the upstream's teardowns (at once if already finished).
    list->add(Subscription::create([fn = f]() mutable noexcept {
      try {
        fn();
      } catch (...) {
        report_unhandled_error(std::current_exception());
      }
    }));
  }
};

template <class F>
struct FinalizeOperator : OperatorBase {
  F f;
  template <class Src>
  auto operator()(Src&& src) const {
    if constexpr (!CallableWith<F>) {
      return invalid_observable();  // ops::finalize(f) reported it
    } else {
      using T = ValueOf<Src>;
      using St = FinalizeStrategy<std::remove_cvref_t<Src>, F>;
      return make_static_observable<T>(St{std::forward<Src>(src), f});
    }
  }
};

}  // namespace detail

namespace ops {

// Calls f() once when the subscription ends for any reason.
template <class F>
detail::FinalizeOperator<F> finalize(F f) {
  static_assert(std::is_invocable_v<F&>,
                "rxsync::ops::finalize(f): f must be callable with no arguments");
  return {{}, std::move(f)};
}

}  // namespace ops

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync

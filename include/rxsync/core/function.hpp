// rxsync/core/function.hpp - a move-only, type-erased callable with a small buffer.
//
// Schedulers store one callable per queued action. std::function demands copyable targets and
// allocates for anything bigger than two pointers; std::move_only_function is C++23. This holds
// callables up to `buffer_size` bytes in place, so scheduling a lambda that captures a few
// pointers costs no allocation. Not thread-safe (like any value type).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include <rxsync/version.hpp>

namespace rxsync {
inline namespace RXSYNC_ABI_NAMESPACE {

template <class Signature>
class MoveOnlyFunction;

template <class R, class... Args>
class MoveOnlyFunction<R(Args...)> {
  static constexpr std::size_t buffer_size = 4 * sizeof(void*);
  static constexpr std::size_t buffer_align = alignof(std::max_align_t);

  struct VTable {
    R (*invoke)(void* self, Args&&... args);
    void (*move_to)(void* from, void* to) noexcept;  // move-constructs into `to`, destroys `from`
    void (*destroy)(void* self) noexcept;
  };

  template <class F>
  static constexpr bool stored_inline = sizeof(F) <= buffer_size && alignof(F) <= buffer_align &&
                                        std::is_nothrow_move_constructible_v<F>;

  template <class F>
  static F* target(void* storage) noexcept {
    if constexpr (stored_inline<F>) {
      return std::launder(static_cast<F*>(storage));
    } else {
      return *static_cast<F**>(storage);
    }
  }

  template <class F>
  static constexpr VTable vtable_for{[](void* self, Args&&... args) -> R {
                                       return std::invoke(*target<F>(self),
                                                          std::forward<Args>(args)...);
                                     },
                                     [](void* from, void* to) noexcept {
                                       if constexpr (stored_inline<F>) {
                                         ::new (to) F(std::move(*target<F>(from)));
                                         target<F>(from)->~F();
                                       } else {
                                         *static_cast<F**>(to) = *static_cast<F**>(from);
                                       }
                                     },
                                     [](void* self) noexcept {
                                       if constexpr (stored_inline<F>) {
                                         target<F>(self)->~F();
                                       } else {
                                         delete target<F>(self);
                                       }
                                     }};

 public:
  MoveOnlyFunction() noexcept = default;
  MoveOnlyFunction(std::nullptr_t) noexcept {}

  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, MoveOnlyFunction> &&
             std::is_invocable_r_v<R, std::decay_t<F>&, Args...>)
  MoveOnlyFunction(F&& f) {  // NOLINT(google-explicit-constructor): mirrors std::function
    using Fn = std::decay_t<F>;
    if constexpr (std::is_pointer_v<Fn> || std::is_member_pointer_v<Fn>) {
      if (f == nullptr) return;  // like std::function: a null pointer makes an empty function
    }
    if constexpr (stored_inline<Fn>) {
      ::new (static_cast<void*>(storage_)) Fn(std::forward<F>(f));
    } else {
      *reinterpret_cast<Fn**>(storage_) = new Fn(std::forward<F>(f));
    }
    vtable_ = &vtable_for<Fn>;
  }

  MoveOnlyFunction(MoveOnlyFunction&& other) noexcept : vtable_(other.vtable_) {
    if (vtable_ != nullptr) {
      vtable_->move_to(other.storage_, storage_);
      other.vtable_ = nullptr;
    }
  }

  MoveOnlyFunction& operator=(MoveOnlyFunction&& other) noexcept {
    if (this != &other) {
      reset();
      if (other.vtable_ != nullptr) {
        other.vtable_->move_to(other.storage_, storage_);
        vtable_ = std::exchange(other.vtable_, nullptr);
      }
    }
    return *this;
  }

  MoveOnlyFunction(const MoveOnlyFunction&) = delete;
  MoveOnlyFunction& operator=(const MoveOnlyFunction&) = delete;

  ~MoveOnlyFunction() { reset(); }

  void reset() noexcept {
    if (vtable_ != nullptr) {
      std::exchange(vtable_, nullptr)->destroy(storage_);
    }
  }

  explicit operator bool() const noexcept { return vtable_ != nullptr; }

  // Precondition: holds a callable (calling an empty MoveOnlyFunction is undefined, as for
  // std::move_only_function; rxsync never does it).
  R operator()(Args... args) { return vtable_->invoke(storage_, std::forward<Args>(args)...); }

 private:
  alignas(buffer_align) std::byte storage_[buffer_size];
  const VTable* vtable_ = nullptr;
};

}  // namespace RXSYNC_ABI_NAMESPACE
}  // namespace rxsync

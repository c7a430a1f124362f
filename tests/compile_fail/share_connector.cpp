// share's connector returns a subject of another element type.
// expected-first-error: rxsync::ops::share\(config, connector\): connector\(\) must return a subject of the source's value_type
// expected-error-count: 1
#include <string>

#include <rxsync/rx/operators/share.hpp>
#include <rxsync/rx/sources.hpp>
#include <rxsync/rx/subjects/publish_subject.hpp>

int main() {
  auto shared = rxsync::just(1) | rxsync::ops::share(rxsync::ops::ShareConfig{}, [] {
                  return rxsync::PublishSubject<std::string>();
                });
  shared.subscribe([](int) {});
}

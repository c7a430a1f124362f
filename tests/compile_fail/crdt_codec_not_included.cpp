// A CRDT encoded where only its own header is included: the binary forms of rxsync's CRDTs are in
// <rxsync/codec/crdt.hpp>, and the error says so.
// expected-error-count: 1
// expected-first-error: rxsync: encoding or decoding an rxsync CRDT needs #include <rxsync/codec/crdt.hpp>
#include <string>

#include <rxsync/crdt/counters.hpp>

int main() {
  rxsync::GCounter<> counter;
  counter.increment("phone");
  const std::string bytes = counter.encode();
  return bytes.empty() ? 1 : 0;
}

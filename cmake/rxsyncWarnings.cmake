# Warning flags for rxsync's own tests, examples and benchmarks (never imposed on consumers).
option(RXSYNC_WERROR "Treat warnings as errors in rxsync's own targets" ON)

function(rxsync_set_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                             -Wsign-conversion -Wnon-virtual-dtor)
    if(RXSYNC_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
    # g++ 12 warns that ThreadSanitizer does not model std::atomic_thread_fence, which Boost.Asio
    # uses when it runs a handler; the warning points into the inlined Asio code, so the system
    # header exemption does not cover it. It says nothing about rxsync's code: silence it in
    # ThreadSanitizer builds only.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_FLAGS MATCHES "-fsanitize=thread")
      target_compile_options(${target} PRIVATE -Wno-tsan)
    endif()
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 /permissive-)
    if(RXSYNC_WERROR)
      target_compile_options(${target} PRIVATE /WX)
    endif()
  endif()
endfunction()

# Compiles one file of tests/compile_fail with -fsyntax-only and checks the outcome; run by
# ctest as `cmake -P` so that the compiler runs at test time, not at build time.
#
#   cmake -DCXX=<compiler> -DSOURCE=<file.cpp> -DINCLUDE_DIR=<rxsync/include> -DMODE=fail|pass
#         [-DEXTRA_FLAGS="<flags separated by spaces>"] -P check_first_error.cmake
#
# MODE=fail: the compiler must reject the file, and the first line containing "error:" must
# match the regular expression of the file's `// expected-first-error: <regex>` comment (CMake
# regex syntax). An optional `// expected-error-count: <n>` says how many "error:" lines there
# may be in all, so a cascade of follow-on errors fails the test too.
# MODE=pass: the compiler must accept the file without any diagnostic containing "error:".
cmake_minimum_required(VERSION 3.21)

foreach(var CXX SOURCE INCLUDE_DIR MODE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_first_error.cmake: -D${var}=... is required")
  endif()
endforeach()

# The C locale keeps g++'s quotes ASCII, so the regexes need not care about the user's locale.
set(ENV{LC_ALL} C)
set(ENV{LANG} C)
separate_arguments(extra_flags UNIX_COMMAND "${EXTRA_FLAGS}")
execute_process(
  COMMAND "${CXX}" -std=c++20 -fsyntax-only -fno-diagnostics-color ${extra_flags}
          "-I${INCLUDE_DIR}" "${SOURCE}"
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE out)

# Split into lines without letting CMake's list syntax (';', '[' ']') mangle them.
string(REPLACE ";" "<semicolon>" out_escaped "${out}")
string(REPLACE "[" "<lbracket>" out_escaped "${out_escaped}")
string(REPLACE "]" "<rbracket>" out_escaped "${out_escaped}")
string(REPLACE "\n" ";" lines "${out_escaped}")
set(first_error "")
set(error_count 0)
foreach(line IN LISTS lines)
  if(line MATCHES "error:")
    math(EXPR error_count "${error_count} + 1")
    if(first_error STREQUAL "")
      set(first_error "${line}")
    endif()
  endif()
endforeach()
set(char_semicolon ";")
set(char_lbracket "[")
set(char_rbracket "]")
foreach(token semicolon lbracket rbracket)
  string(REPLACE "<${token}>" "${char_${token}}" first_error "${first_error}")
endforeach()

# The first 40 lines of what the compiler said, for the failure message.
string(REGEX MATCHALL "[^\n]*\n" out_lines "${out}")
list(LENGTH out_lines n)
if(n GREATER 40)
  list(SUBLIST out_lines 0 40 out_lines)
endif()
string(JOIN "" out_head ${out_lines})

if(MODE STREQUAL "pass")
  if(NOT rc EQUAL 0 OR error_count GREATER 0)
    message(FATAL_ERROR "${SOURCE} must compile, but ${CXX} failed (exit ${rc}):\n${out_head}")
  endif()
  message(STATUS "compiles, as expected")
  return()
endif()

if(NOT MODE STREQUAL "fail")
  message(FATAL_ERROR "check_first_error.cmake: MODE must be fail or pass, not '${MODE}'")
endif()

file(STRINGS "${SOURCE}" expected_lines REGEX "^// expected-first-error: ")
list(LENGTH expected_lines n_expected)
if(NOT n_expected EQUAL 1)
  message(FATAL_ERROR "${SOURCE} needs exactly one `// expected-first-error: <regex>` line, "
                      "it has ${n_expected}")
endif()
string(REGEX REPLACE "^// expected-first-error: " "" expected "${expected_lines}")

file(STRINGS "${SOURCE}" count_lines REGEX "^// expected-error-count: ")
set(expected_count "")
if(count_lines)
  string(REGEX REPLACE "^// expected-error-count: *([0-9]+).*" "\\1" expected_count
                       "${count_lines}")
endif()

if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} must not compile, but ${CXX} accepted it")
endif()
if(first_error STREQUAL "")
  message(FATAL_ERROR "${CXX} rejected ${SOURCE} without an \"error:\" line:\n${out_head}")
endif()
if(NOT first_error MATCHES "${expected}")
  message(FATAL_ERROR "the first error does not match.\n"
                      "  expected (regex): ${expected}\n"
                      "  first error:      ${first_error}\n"
                      "${CXX} said:\n${out_head}")
endif()
if(NOT expected_count STREQUAL "" AND NOT error_count EQUAL expected_count)
  message(FATAL_ERROR "expected ${expected_count} error line(s), got ${error_count}: "
                      "follow-on errors after the first.\n${CXX} said:\n${out_head}")
endif()
message(STATUS "first error: ${first_error}")

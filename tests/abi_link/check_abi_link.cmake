# Builds a program from two files that pass an rxsync type between them, one compiled against
# this tree's headers and one against a copy whose minor version is bumped. The link must fail:
# that is what the inline ABI namespace of <rxsync/version.hpp> is for. The same two files built
# against the same headers must link, so the failure is the version's doing.
#
#   cmake -DCXX=<compiler> -DINCLUDE_DIR=<rxsync/include> -DSOURCE_DIR=<this directory>
#         -DWORK_DIR=<scratch directory> -P check_abi_link.cmake
cmake_minimum_required(VERSION 3.21)

foreach(var CXX INCLUDE_DIR SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_abi_link.cmake: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE "${WORK_DIR}")
file(COPY "${INCLUDE_DIR}/rxsync" DESTINATION "${WORK_DIR}/other/include")
set(version_header "${WORK_DIR}/other/include/rxsync/version.hpp")
file(READ "${version_header}" text)
if(NOT text MATCHES "#define RXSYNC_VERSION_MINOR ([0-9]+)")
  message(FATAL_ERROR "no RXSYNC_VERSION_MINOR in ${INCLUDE_DIR}/rxsync/version.hpp")
endif()
math(EXPR other_minor "${CMAKE_MATCH_1} + 1")
string(REGEX REPLACE "#define RXSYNC_VERSION_MINOR [0-9]+" "#define RXSYNC_VERSION_MINOR ${other_minor}"
                     text "${text}")
file(WRITE "${version_header}" "${text}")

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  set(rc "${rc}" PARENT_SCOPE)
  set(out "${out}" PARENT_SCOPE)
endfunction()

function(compile source include_dir object)
  run(compile "${CXX}" -std=c++20 -c "${SOURCE_DIR}/${source}" "-I${include_dir}" -o "${object}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${source} does not compile against ${include_dir}:\n${out}")
  endif()
endfunction()

compile(app.cpp "${INCLUDE_DIR}" "${WORK_DIR}/app.o")
compile(library.cpp "${INCLUDE_DIR}" "${WORK_DIR}/library_same.o")
compile(library.cpp "${WORK_DIR}/other/include" "${WORK_DIR}/library_other.o")

run(link "${CXX}" "${WORK_DIR}/app.o" "${WORK_DIR}/library_same.o" -pthread -o "${WORK_DIR}/same")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "built against the same headers, the two files must link:\n${out}")
endif()

run(link "${CXX}" "${WORK_DIR}/app.o" "${WORK_DIR}/library_other.o" -pthread -o "${WORK_DIR}/mixed")
if(rc EQUAL 0)
  message(FATAL_ERROR "a file built against minor version ${other_minor} linked with one built "
                      "against this tree: the ABI namespace does not separate them")
endif()
if(NOT out MATCHES "library_is_subscribed")
  message(FATAL_ERROR "the mixed link failed, but not on library_is_subscribed:\n${out}")
endif()
message(STATUS "mixed versions refused at link time, as intended")

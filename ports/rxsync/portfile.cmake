# vcpkg port for rxsync (header-only). Use it as an overlay port from a checkout:
#   vcpkg install rxsync --overlay-ports=<rxsync>/ports
# It builds from the checkout the port lives in (two directories up). vcpkg hashes only the port
# files, so after changing the sources run `vcpkg remove rxsync` (or bump "port-version") to make
# it reinstall. For a registry, replace the SOURCE_PATH line with a pinned download:
#   vcpkg_from_git(
#     OUT_SOURCE_PATH SOURCE_PATH
#     URL <rxsync git URL>
#     REF <40-hex commit of the release tag>
#     HEAD_REF main
#   )
set(VCPKG_BUILD_TYPE release)  # headers only: nothing differs between debug and release

get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
if(NOT EXISTS "${SOURCE_PATH}/include/rxsync/core/subscription.hpp")
  message(FATAL_ERROR "rxsync sources not found at ${SOURCE_PATH}: use this port as an overlay "
                      "port from an rxsync checkout, or switch to vcpkg_from_git (see above)")
endif()

# Optional targets, each behind a feature so the default port stays dependency-free.
vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
  FEATURES
    sqlite RXSYNC_WITH_SQLITE
    net RXSYNC_WITH_NET
    net RXSYNC_WITH_TLS
)

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    ${FEATURE_OPTIONS}
    -DRXSYNC_BUILD_TESTS=OFF
    -DRXSYNC_BUILD_EXAMPLES=OFF
    -DRXSYNC_BUILD_BENCHMARKS=OFF
    -DRXSYNC_INSTALL=ON
    -DRXSYNC_USE_CCACHE=OFF
    -DRXSYNC_BUILD_TOOLS=OFF
)
vcpkg_cmake_install()

# The package installs its CMake files to share/cmake/rxsync; vcpkg wants them in share/rxsync.
vcpkg_cmake_config_fixup(CONFIG_PATH share/cmake/rxsync)
vcpkg_fixup_pkgconfig()

# Header-only: no libraries, and nothing in debug/.
file(REMOVE_RECURSE
  "${CURRENT_PACKAGES_DIR}/debug"
  "${CURRENT_PACKAGES_DIR}/lib"
  "${CURRENT_PACKAGES_DIR}/share/cmake")

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")

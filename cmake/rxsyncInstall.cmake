# Install rules: headers, the CMake package (rxsyncConfig*.cmake) and rxsync.pc. Nothing else.
include(CMakePackageConfigHelpers)

set(RXSYNC_CMAKE_DIR "${CMAKE_INSTALL_DATADIR}/cmake/rxsync")

install(DIRECTORY include/rxsync DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(TARGETS rxsync EXPORT rxsyncTargets)
install(EXPORT rxsyncTargets NAMESPACE rxsync:: DESTINATION "${RXSYNC_CMAKE_DIR}")
if(RXSYNC_HAS_SQLITE)
  install(TARGETS rxsync_sqlite EXPORT rxsyncSqliteTargets)
  install(EXPORT rxsyncSqliteTargets NAMESPACE rxsync:: DESTINATION "${RXSYNC_CMAKE_DIR}")
endif()

if(RXSYNC_HAS_NET)
  install(TARGETS rxsync_net EXPORT rxsyncNetTargets)
  install(EXPORT rxsyncNetTargets NAMESPACE rxsync:: DESTINATION "${RXSYNC_CMAKE_DIR}")
endif()

configure_package_config_file(cmake/rxsyncConfig.cmake.in
  "${PROJECT_BINARY_DIR}/rxsyncConfig.cmake"
  INSTALL_DESTINATION "${RXSYNC_CMAKE_DIR}")
# A header-only library has no ABI: any architecture may use the package, and a different
# major version is refused.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/rxsyncConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion
  ARCH_INDEPENDENT)
install(FILES "${PROJECT_BINARY_DIR}/rxsyncConfig.cmake" "${PROJECT_BINARY_DIR}/rxsyncConfigVersion.cmake"
  DESTINATION "${RXSYNC_CMAKE_DIR}")

configure_file(cmake/rxsync.pc.in "${PROJECT_BINARY_DIR}/rxsync.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/rxsync.pc" DESTINATION "${CMAKE_INSTALL_DATADIR}/pkgconfig")

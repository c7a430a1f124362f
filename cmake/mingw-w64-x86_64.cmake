# Cross-compiles for 64-bit Windows with Debian's MinGW-w64 g++ (package
# g++-mingw-w64-x86-64-posix: the posix thread model, which std::thread and std::mutex need), and
# runs the results under Wine: ctest starts every test through CMAKE_CROSSCOMPILING_EMULATOR.
# Used by the `mingw` preset (scripts/check mingw).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(RXSYNC_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${RXSYNC_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${RXSYNC_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${RXSYNC_MINGW_TRIPLE}-windres)

# Libraries and packages come from the MinGW sysroot only: the build host's (SQLite, Boost,
# OpenSSL) are Linux builds, so rxsync::sqlite and rxsync::net are simply not found.
set(CMAKE_FIND_ROOT_PATH /usr/${RXSYNC_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# A PE/COFF object holds at most 32767 sections, and a test file full of templates (one section
# per inline function) has more: -mbig-obj lifts that limit (MSVC's /bigobj). Unoptimized, the
# biggest files also overflow the string table that holds those sections' long names, which
# binutils 2.40 cannot grow past 10^7 bytes; -O1 inlines most of the small functions away.
# At -O1 g++ 12 reports -Wmaybe-uninitialized for std::optional members it cannot follow (GCC
# bug 80635); the dev preset's unoptimized g++ build keeps that warning on.
set(CMAKE_CXX_FLAGS_INIT "-Wa,-mbig-obj -O1 -Wno-maybe-uninitialized")

# Static runtime (libstdc++, libgcc, winpthread): the test programs run under Wine without a
# DLL search path, as they would on a Windows machine without MinGW installed.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# Debian's wine64 package installs the loader here and no `wine` on PATH (that comes with the
# `wine` package, which also pulls in the 32-bit half).
find_program(RXSYNC_WINE NAMES wine64 wine PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(RXSYNC_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${RXSYNC_WINE}")
endif()

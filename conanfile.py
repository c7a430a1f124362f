# Conan 2 recipe for rxsync, a header-only library: the package holds the headers and the
# license; consumers get rxsync::rxsync through CMakeDeps (find_package(rxsync CONFIG)) or
# PkgConfigDeps (rxsync.pc).
#
#   conan create . --build=missing      builds test_package/ against the new package
import os
import re

from conan import ConanFile
from conan.errors import ConanException, ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy, load
from conan.tools.layout import basic_layout

required_conan_version = ">=2.0"


class RxsyncConan(ConanFile):
    name = "rxsync"
    # No version attribute: set_version() reads it from include/rxsync/version.hpp, the one
    # place it is written (ports/rxsync/vcpkg.json repeats it; tests/packaging checks they agree).
    description = ("Header-only C++20 library for keeping state in sync across devices and "
                   "services: reactive core, resilience, CRDT merge and a sync engine")
    license = "MIT"
    topics = ("reactive", "sync", "crdt", "offline-first", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    # The optional targets: rxsync::sqlite (SqliteStorage, SqliteServerStore) and rxsync::net
    # (NetTransport, SyncServer: Boost.Beast, TLS through OpenSSL).
    options = {"with_sqlite": [True, False], "with_net": [True, False]}
    default_options = {"with_sqlite": False, "with_net": False}
    no_copy_source = True
    # CMakeLists.txt and cmake/ travel with the sources so the package can also be built with
    # the project's own install rules; the package itself is made by copying (see package()).
    exports_sources = "include/*", "CMakeLists.txt", "cmake/*", "LICENSE"

    def set_version(self):
        header = load(self, os.path.join(self.recipe_folder, "include", "rxsync", "version.hpp"))
        parts = []
        for part in ("MAJOR", "MINOR", "PATCH"):
            found = re.search(rf"^#define RXSYNC_VERSION_{part} ([0-9]+)$", header, re.MULTILINE)
            if not found:
                raise ConanException(f"include/rxsync/version.hpp: no RXSYNC_VERSION_{part}")
            parts.append(found.group(1))
        version = ".".join(parts)
        # A --version on the command line that disagrees with the headers would label the
        # package with a version its own RXSYNC_VERSION contradicts.
        if self.version and str(self.version) != version:
            raise ConanException(f"--version {self.version} does not match the headers' {version}")
        self.version = version

    def layout(self):
        basic_layout(self, src_folder=".")

    def requirements(self):
        if self.options.with_sqlite:
            self.requires("sqlite3/[>=3.35]")
        if self.options.with_net:
            self.requires("boost/[>=1.74]")
            self.requires("openssl/[>=1.1 <4]")

    def package_id(self):
        # Headers only: one package for every OS, compiler and build type.
        self.info.clear()

    # Where rxsync builds: FileStorage has a POSIX and a Win32 backend. Tested on Linux and on
    # Windows (MinGW-w64 g++); README.md lists the compilers.
    supported_os = ("Linux", "FreeBSD", "Macos", "Windows")

    def validate(self):
        check_min_cppstd(self, 20)
        if str(self.settings.os) not in self.supported_os:
            raise ConanInvalidConfiguration(
                f"rxsync supports {', '.join(self.supported_os)}; not {self.settings.os} "
                "(FileStorage needs POSIX files or the desktop Win32 file API)")
        # rxsync::net is built and tested on Linux only.
        if self.options.with_net and self.settings.os == "Windows":
            raise ConanInvalidConfiguration("rxsync's with_net option is not supported on "
                                            "Windows: rxsync::net is tested on Linux only")

    def package(self):
        copy(self, "LICENSE", src=self.source_folder, dst=os.path.join(self.package_folder, "licenses"))
        copy(self, "*.hpp", src=os.path.join(self.source_folder, "include"),
             dst=os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.set_property("cmake_file_name", "rxsync")
        self.cpp_info.set_property("pkg_config_name", "rxsync")
        core = self.cpp_info.components["core"]
        core.set_property("cmake_target_name", "rxsync::rxsync")
        core.bindirs = []
        core.libdirs = []
        # EventLoopThread owns a std::thread.
        if self.settings.os in ("Linux", "FreeBSD"):
            core.system_libs = ["pthread"]
        if self.options.with_sqlite:
            sqlite = self.cpp_info.components["sqlite"]
            sqlite.set_property("cmake_target_name", "rxsync::sqlite")
            sqlite.requires = ["core", "sqlite3::sqlite3"]
            sqlite.bindirs = []
            sqlite.libdirs = []
        if self.options.with_net:
            net = self.cpp_info.components["net"]
            net.set_property("cmake_target_name", "rxsync::net")
            net.requires = ["core", "boost::headers", "openssl::ssl", "openssl::crypto"]
            net.defines = ["RXSYNC_NET_TLS=1"]
            net.bindirs = []
            net.libdirs = []

#!/usr/bin/env python3
"""Checks that every place stating rxsync's version agrees with include/rxsync/version.hpp.

    check_versions.py --root <rxsync> [--cmake-version X.Y.Z] [--build-dir <configured build>]

version.hpp is where the version is written; CMake reads it for project(VERSION), conanfile.py
in set_version(). vcpkg.json has to repeat it (vcpkg reads the manifest, never the sources), and
a build directory holds what CMake made of it (rxsyncConfigVersion.cmake, rxsync.pc). Conan is
not needed: the recipe's set_version() runs against stand-ins for the few conan modules it
imports. Prints one line per source; exits 1 on the first disagreement.
"""
import argparse
import json
import os
import re
import sys
import types


def header_version(root):
    text = open(os.path.join(root, "include", "rxsync", "version.hpp")).read()
    parts = []
    for part in ("MAJOR", "MINOR", "PATCH"):
        found = re.search(rf"^#define RXSYNC_VERSION_{part} ([0-9]+)$", text, re.MULTILINE)
        if not found:
            sys.exit(f"include/rxsync/version.hpp: no `#define RXSYNC_VERSION_{part} <number>`")
        parts.append(found.group(1))
    return ".".join(parts)


def conan_version(root):
    """The version the recipe gives itself: its version attribute, or what set_version() sets."""

    class ConanFile:
        version = None

    class ConanException(Exception):
        pass

    def load(_conanfile, path, *args, **kwargs):
        with open(path) as f:
            return f.read()

    def unused(*args, **kwargs):
        raise AssertionError("not called by set_version()")

    stubs = {
        "conan": {"ConanFile": ConanFile},
        "conan.errors": {"ConanException": ConanException, "ConanInvalidConfiguration": ConanException},
        "conan.tools": {},
        "conan.tools.build": {"check_min_cppstd": unused},
        "conan.tools.files": {"copy": unused, "load": load},
        "conan.tools.layout": {"basic_layout": unused},
    }
    saved = {name: sys.modules.get(name) for name in stubs}
    try:
        for name, attrs in stubs.items():
            module = types.ModuleType(name)
            module.__dict__.update(attrs)
            sys.modules[name] = module
        namespace = {"__file__": os.path.join(root, "conanfile.py"), "__name__": "rxsync_conanfile"}
        exec(compile(open(namespace["__file__"]).read(), namespace["__file__"], "exec"), namespace)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    recipes = [v for v in namespace.values()
               if isinstance(v, type) and issubclass(v, ConanFile) and v is not ConanFile]
    if len(recipes) != 1:
        sys.exit(f"conanfile.py: expected one recipe class, found {len(recipes)}")
    recipe = recipes[0].__new__(recipes[0])
    recipe.recipe_folder = root
    if hasattr(recipe, "set_version"):
        recipe.version = None
        recipe.set_version()
    return str(recipe.version)


def build_versions(build_dir):
    """What CMake generated in a configured build directory (the files an install copies)."""
    found = []
    config_version = os.path.join(build_dir, "rxsyncConfigVersion.cmake")
    if os.path.isfile(config_version):
        match = re.search(r'^set\(PACKAGE_VERSION "([^"]+)"\)', open(config_version).read(),
                          re.MULTILINE)
        found.append(("rxsyncConfigVersion.cmake (find_package)", match.group(1) if match else None))
    pc = os.path.join(build_dir, "rxsync.pc")
    if os.path.isfile(pc):
        match = re.search(r"^Version: (\S+)$", open(pc).read(), re.MULTILINE)
        found.append(("rxsync.pc (pkg-config)", match.group(1) if match else None))
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--cmake-version")
    parser.add_argument("--build-dir")
    args = parser.parse_args()
    root = os.path.abspath(args.root)

    expected = header_version(root)
    print(f"include/rxsync/version.hpp: {expected}")
    sources = []
    if args.cmake_version:
        sources.append(("CMake project(VERSION)", args.cmake_version))
    if args.build_dir:
        sources.extend(build_versions(args.build_dir))
    manifest = json.load(open(os.path.join(root, "ports", "rxsync", "vcpkg.json")))
    sources.append(("ports/rxsync/vcpkg.json", manifest.get("version")))
    sources.append(("conanfile.py", conan_version(root)))

    failed = False
    for name, version in sources:
        ok = version == expected
        failed |= not ok
        print(f"{name}: {version}{'' if ok else '  <- differs from version.hpp'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

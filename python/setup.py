"""pip install --no-build-isolation ./python  (offline, with Debian's setuptools and pybind11).

Builds the same extension as CMake's NASBENCH_BUILD_PYTHON (python/src/module.cpp on
the headers in ../include), linking libbz2, libzip and zlib; no LibTorch.
"""
import os
import re

from pybind11.setup_helpers import Pybind11Extension, build_ext
from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))
INCLUDE = os.path.join(os.path.dirname(HERE), "include")


def version():
    with open(os.path.join(INCLUDE, "nasbench", "version.hpp")) as f:
        text = f.read()
    return ".".join(re.search(r"#define NASBENCH_VERSION_%s (\d+)" % part, text).group(1)
                    for part in ("MAJOR", "MINOR", "PATCH"))


class build_ext_with_stubs(build_ext):
    """build_ext, and nasbench.pyi beside the extension, so that the wheel carries the stubs."""

    def run(self):
        super().run()
        self.copy_file(os.path.join(HERE, "nasbench.pyi"), os.path.join(self.build_lib, "nasbench.pyi"))


setup(
    name="nasbench",
    version=version(),
    description="NAS-Bench-201 / NATS-Bench Python APIs (nas_201_api, nats_bench) on nasbench's compact tables",
    license="MIT",
    ext_modules=[Pybind11Extension("nasbench", [os.path.relpath(os.path.join(HERE, "src", "module.cpp"), HERE)],
                                   include_dirs=[INCLUDE], libraries=["bz2", "zip", "z"], cxx_std=17)],
    cmdclass={"build_ext": build_ext_with_stubs},
    zip_safe=False,
    python_requires=">=3.8",
)

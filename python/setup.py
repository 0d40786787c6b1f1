"""pip install --no-build-isolation ./python  (offline, with Debian's setuptools and pybind11).

Builds the same package as CMake's NASBENCH_BUILD_PYTHON: the extension nasbench._core
(python/src/module.cpp on the headers in ../include, linking libbz2, libzip and zlib; no
LibTorch) and the package's Python modules and stubs (python/nasbench/).
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


setup(
    name="nasbench",
    version=version(),
    description="NAS-Bench-201 / NATS-Bench Python APIs (nas_201_api, nats_bench) on nasbench's compact tables",
    license="MIT",
    packages=["nasbench"],
    package_dir={"nasbench": os.path.relpath(os.path.join(HERE, "nasbench"), HERE)},
    package_data={"nasbench": ["*.pyi", "py.typed"]},
    ext_modules=[Pybind11Extension("nasbench._core", [os.path.relpath(os.path.join(HERE, "src", "module.cpp"), HERE)],
                                   include_dirs=[INCLUDE], libraries=["bz2", "zip", "z"], cxx_std=17)],
    cmdclass={"build_ext": build_ext},
    zip_safe=False,
    python_requires=">=3.8",
)

#!/bin/sh
# Makes the sandbox image's Debian root file system smaller. Runs as root inside that file system:
# under chroot at `sandcastle image build`, as a RUN step of deploy/docker/Dockerfile. Measured on
# bookworm: 1.4 GB after debootstrap, under 0.6 GB after this, with numpy, pandas, matplotlib,
# IPython, SciPy and SymPy still importing (the image build's training run and DockerBackendTest
# check the first four).
set -eu

# Packages the dependency resolver drags in that nothing uses at run time. Both debootstrap and
# apt take the first alternative of python3-fonttools' "python3-scipy | python3-munkres" (fontTools
# comes with matplotlib), and SciPy depends on python3-pythran, a compiler of Python to C++ that
# brings gcc, g++, Boost, OpenBLAS' and Python's headers: half a gigabyte, used only to build
# extensions. git brings Perl's full module set (perl-base stays, so `perl` still runs, as do git's
# commands, which are built in since git 2.37), and Pillow brings Tk (a GUI toolkit; matplotlib draws
# with Agg here). --force-depends: what depends on them keeps working without them.
dpkg --purge --force-depends \
  binutils binutils-common binutils-x86-64-linux-gnu libbinutils libctf0 libctf-nobfd0 libgprofng0 libjansson4 \
  cpp cpp-12 gcc gcc-12 g++ g++-12 libgcc-12-dev libstdc++-12-dev libc6-dev libc-dev-bin linux-libc-dev \
  libcrypt-dev libnsl-dev libtirpc-dev rpcsvc-proto libasan8 libtsan2 liblsan0 libubsan1 libitm1 libcc1-0 \
  libisl23 libmpc3 libmpfr6 libboost-dev libboost1.74-dev libxsimd-dev libopenblas-dev libopenblas-pthread-dev \
  python3-pythran python3-beniget python3-gast python3-dev python3-all-dev python3.11-dev libpython3-dev \
  libpython3-all-dev libpython3.11-dev zlib1g-dev libexpat1-dev \
  perl perl-modules-5.36 libperl5.36 liberror-perl libgdbm-compat4 \
  python3-tk python3-pil.imagetk tk8.6-blt2.5 blt libtk8.6 libtcl8.6 libxss1 libxft2 \
  git-man unicode-data >/dev/null 2>&1 || true
# (|| true: the package set differs between debootstrap and the Dockerfile's base image; dpkg
# skips those not installed but reports them with a non-zero status.)

# Documentation (copyright notices stay), manual pages, info pages and message translations: the
# workspace runs with LANG=C.UTF-8 and nobody reads man pages through an API.
find /usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
find /usr/share/doc -mindepth 1 -type d -empty -delete
rm -rf /usr/share/man/* /usr/share/info/* /usr/share/locale/* /usr/share/lintian/* /usr/share/linda/*

# The test suites of Python packages (numpy, pandas, scipy, sympy, matplotlib: 135 MB with their
# compiled files) and SymPy's experimental Rubi integrator (21 MB; sympy never imports it). The
# compiled files (__pycache__) of everything else stay: the root file system is read-only at run
# time, so Python could not write them, and compiling pandas, matplotlib and numpy on every import
# took 10 s instead of 2.5 s here.
find /usr/lib/python3/dist-packages -type d -name tests -prune -exec rm -rf {} +
rm -rf /usr/lib/python3/dist-packages/sympy/integrals/rubi

# What the package manager leaves behind: downloaded packages, lists and logs.
rm -rf /var/cache/apt/archives/*.deb /var/cache/apt/*.bin /var/lib/apt/lists/* /var/log/*.log /var/log/apt/* \
  /var/cache/debconf/*-old /var/lib/dpkg/*-old

#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz entry point: fuzz/build.sh does the work with the
# $CXX, $CXXFLAGS, $LIB_FUZZING_ENGINE and $OUT the service sets.
#
# The service compiles against libc++ (-stdlib=libc++), but corosim links the
# distribution's Abseil, built against libstdc++, so that flag is dropped.
# ASan and UBSan builds are unaffected; MSan would need every dependency
# instrumented and is not supported.
export CXXFLAGS="${CXXFLAGS//-stdlib=libc++/}"
"$SRC/corosim/fuzz/build.sh"

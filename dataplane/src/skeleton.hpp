// The bpftool-generated skeleton (the BPF object embedded as bytes), included with the
// warnings C++ raises about generated C code silenced here only.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Woverlength-strings"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include "bgplb.skel.h"
#pragma GCC diagnostic pop

// The BPF program's ABI for C++: dataplane::abi::frontend_key and friends, drop reasons,
// event counters (bpf/abi.h is the one definition).
#pragma once

#include "../../bpf/abi.h"

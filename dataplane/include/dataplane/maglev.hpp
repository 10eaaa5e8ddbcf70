// Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software
// Network Load Balancer", NSDI 2016, §3.4). A row of prime size M maps each slot to one
// backend; a flow takes slot flow_hash % M. Every backend gets M/N slots (±1), and a
// change of one backend moves about 1/N of the slots.
//
// Every node must build the same row for the same backend set (a flow the fabric moves
// to another node then keeps its backend), so the inputs are canonical: backends sorted
// by (address bytes, port), keys hashed with fixed functions. Changing anything here
// changes rows cluster-wide; a mixed-version cluster would split flows during a rollout.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dataplane/address.hpp"
#include "dataplane/desired.hpp"

namespace dataplane::maglev {

bool is_prime(std::uint32_t n);

// A backend's identity in the row: 16 address bytes then the port, big-endian.
std::string backend_key(const address& addr, std::uint16_t port);

// row[slot] = index into keys. keys must be sorted and distinct; size prime, > keys.size().
std::vector<std::uint32_t> populate(std::span<const std::string> keys, std::uint32_t size);

// The flow hash of the BPF program (abi.h bgplb_flow_hash) for client -> frontend.
std::uint32_t flow_hash(const address& client, const address& frontend, std::uint16_t client_port,
                        std::uint16_t frontend_port, protocol proto);

}  // namespace dataplane::maglev

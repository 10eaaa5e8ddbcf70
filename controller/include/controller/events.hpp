// The catalogue of event reasons the controller emits: MetalLB's reasons (so dashboards
// and alerts written for MetalLB keep working) plus bgplb's PoolRemoved. Reasons and
// message wordings follow MetalLB's controller/service.go convergeBalancer.
#pragma once

#include <string_view>

namespace controller::reason {

inline constexpr std::string_view ip_allocated = "IPAllocated";                     // Normal
inline constexpr std::string_view clear_assignment = "ClearAssignment";             // Normal
inline constexpr std::string_view additional_assign_failed = "AdditionalAssignFailed";  // Normal
inline constexpr std::string_view allocation_failed = "AllocationFailed";           // Warning
inline constexpr std::string_view load_balancer_failed = "LoadBalancerFailed";      // Warning
inline constexpr std::string_view not_enough_cluster_ips = "not enough clusterips";  // Warning (MetalLB's reason, spaces and all)
inline constexpr std::string_view deprecated_annotation = "deprecatedAnnotation";   // Warning
inline constexpr std::string_view pool_removed = "PoolRemoved";                     // Warning, bgplb only

}  // namespace controller::reason

// JSON views of the manager's status; see json.hpp.
#include <bfd/json.hpp>

#include <boost/json/array.hpp>

namespace bfd {

namespace json = boost::json;

namespace {
json::string word(std::string_view s) { return json::string(s); }
}  // namespace

json::object to_json(const session_status& s, std::chrono::steady_clock::time_point now) {
  const auto& k = s.config.key;
  json::object o;
  o["peer"] = k.peer.to_string();
  if (k.local) o["local"] = k.local->to_string();
  if (!k.interface.empty()) o["interface"] = k.interface;
  o["hops"] = word(to_string(k.hops));
  o["state"] = word(to_string(s.local_state));
  o["remote_state"] = word(to_string(s.remote_state));
  o["diag"] = word(to_string(s.local_diag));
  o["remote_diag"] = word(to_string(s.remote_diag));
  o["last_down_diag"] = word(to_string(s.last_down_diag));
  o["local_discr"] = s.local_discriminator;
  o["remote_discr"] = s.remote_discriminator;
  o["tx_interval_us"] = s.tx_interval_us;
  o["detection_time_us"] = s.detection_time_us;
  o["desired_min_tx_us"] = s.desired_min_tx_us;
  o["required_min_rx_us"] = s.required_min_rx_us;
  o["remote_min_rx_us"] = s.remote_min_rx_us;
  o["remote_desired_tx_us"] = s.remote_desired_tx_us;
  o["remote_detect_mult"] = s.remote_detect_mult;
  o["poll"] = s.poll_in_progress;
  o["admin_down"] = s.admin_down;
  o["echo_active"] = s.echo_active;
  const auto& p = s.config.timers;
  o["profile"] = json::object{{"receive_interval_ms", p.receive_interval_ms},
                              {"transmit_interval_ms", p.transmit_interval_ms},
                              {"detect_multiplier", p.detect_multiplier},
                              {"echo_interval_ms", p.echo_interval_ms},
                              {"echo_mode", p.echo_mode},
                              {"passive_mode", p.passive_mode},
                              {"minimum_ttl", p.minimum_ttl}};
  const auto& c = s.counters;
  o["counters"] = json::object{{"control_in", c.control_packet_input}, {"control_out", c.control_packet_output},
                               {"echo_in", c.echo_packet_input},       {"echo_out", c.echo_packet_output},
                               {"up_events", c.session_up_events},     {"down_events", c.session_down_events},
                               {"dropped", c.dropped},                 {"notifications", c.notifications}};
  o["since_s"] = std::chrono::duration<double>(now - s.since).count();
  return o;
}

json::object to_json(const manager_stats& s) {
  json::object drops;
  for (std::size_t i = 1; i < drop_reason_count; ++i)
    if (s.drops[i]) drops[to_string(static_cast<drop_reason>(i))] = s.drops[i];
  return {{"drops", std::move(drops)},
          {"send_errors", s.send_errors},
          {"transmissions", s.transmissions},
          {"late_transmissions", s.late_transmissions},
          {"max_lateness_us", s.max_lateness.count()},
          {"lateness_histogram_lt_100us_1ms_5ms_20ms_more",
           json::array(s.lateness_histogram.begin(), s.lateness_histogram.end())}};
}

}  // namespace bfd

# Sourced by the fuzz scripts and dev.sh: how a scenario's libFuzzer target is
# named (fuzz/CMakeLists.txt names them the same way), and back.

# fuzz_target_of SCENARIO: select/read_send -> select_read_send_fuzzer
fuzz_target_of() { printf '%s_fuzzer' "$1" | tr '/' '_'; }

# fuzz_scenario_of TARGET: the scenario in fuzz/scenarios.txt whose target it
# is; nothing for a parser target.
fuzz_scenario_of() {
  local name
  while read -r name; do
    case "$name" in ''|'#'*) continue ;; esac
    if [ "$(fuzz_target_of "$name")" = "$1" ]; then echo "$name"; return 0; fi
  done < "$(dirname "${BASH_SOURCE[0]}")/scenarios.txt"
}

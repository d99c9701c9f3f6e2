# corosim_add_scenarios(TARGET [SEEDS N] [STRATEGY NAME] [EXTRA_ARGS ...]):
# registers every scenario of TARGET — an executable whose main is
# corosim::main — as a CTest test "TARGET:SCENARIO" running
# `TARGET run SCENARIO --seeds N --quiet`, so `ctest -j` runs them in parallel
# and `ctest -L FAMILY` picks a family. The scenarios are read from
# `TARGET list` after every build (as catch_discover_tests does), so adding a
# scenario needs no CMake change. Labels: corosim, the scenario's family (the
# part before '/'), and passes or fails.
#
# SEEDS defaults to the cache variable COROSIM_SEEDS (100): CI can raise it
# with -DCOROSIM_SEEDS=10000 without touching the project.
set(COROSIM_SEEDS 100 CACHE STRING "Seeds each corosim scenario test runs (corosim_add_scenarios)")
set(_corosim_discover_script "${CMAKE_CURRENT_LIST_DIR}/corosimDiscoverScenarios.cmake")

function(corosim_add_scenarios target)
  cmake_parse_arguments(arg "" "SEEDS;STRATEGY" "EXTRA_ARGS" ${ARGN})
  if(NOT arg_SEEDS)
    set(arg_SEEDS ${COROSIM_SEEDS})
  endif()
  set(extra ${arg_EXTRA_ARGS})
  if(arg_STRATEGY)
    list(APPEND extra --strategy ${arg_STRATEGY})
  endif()
  set(tests_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_corosim_scenarios.cmake")
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND "${CMAKE_COMMAND}"
            -D "BINARY=$<TARGET_FILE:${target}>"
            -D "PREFIX=${target}"
            -D "SEEDS=${arg_SEEDS}"
            -D "EXTRA_ARGS=${extra}"
            -D "OUT=${tests_file}"
            -P "${_corosim_discover_script}"
    BYPRODUCTS "${tests_file}"
    VERBATIM)
  # Before the first build the file does not exist yet: CTest skips it.
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${tests_file}")
endfunction()

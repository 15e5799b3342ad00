# Determinism: the same scenario run twice gives byte-identical JSON reports (with --json), and a
# sweep run with one worker and with two stores the same reports. -DFMSIM=<fmsim> -DSRC=<source dir>
set(dir ${CMAKE_CURRENT_BINARY_DIR}/determinism)
file(REMOVE_RECURSE ${dir})
file(MAKE_DIRECTORY ${dir})

function(run_fmsim)
  execute_process(COMMAND ${FMSIM} ${ARGN} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "fmsim ${ARGN} exited with ${rc}: ${err}")
  endif()
endfunction()

function(expect_same_file a b what)
  file(SHA256 ${a} ha)
  file(SHA256 ${b} hb)
  if(NOT ha STREQUAL hb)
    message(FATAL_ERROR "${what}: ${a} and ${b} differ")
  endif()
endfunction()

# 1. A single-device generation and a multi-device training run, twice each.
foreach(scenario default llama2-70b-8xh100 llama2-7b-lora-a100)
  foreach(i 1 2)
    run_fmsim(run ${SRC}/configs/scenarios/${scenario}.json --json ${dir}/${scenario}.${i}.json)
  endforeach()
  expect_same_file(${dir}/${scenario}.1.json ${dir}/${scenario}.2.json "fmsim run ${scenario} twice")
endforeach()

# 2. A sweep with --jobs 1 and --jobs 2: the stored reports, exported in point order, are identical.
file(WRITE ${dir}/base.json [[{
  "name": "determinism-base",
  "model": "llama2-7b",
  "hardware": "a100-sxm-80gb",
  "phase": "generate",
  "input_len": 256,
  "output_len": 16
}]])
file(WRITE ${dir}/sweep.json [[{
  "name": "determinism",
  "base": "base.json",
  "axes": {"batch": [1, 4, 16], "precision": ["bf16", "fp8", "int8"]}
}]])
foreach(jobs 1 2)
  run_fmsim(sweep ${dir}/sweep.json --db ${dir}/jobs${jobs}.sqlite --jobs ${jobs})
  run_fmsim(results ${dir}/jobs${jobs}.sqlite --sweep determinism --json ${dir}/jobs${jobs}.json)
  # Wall-clock seconds per point are the one field that may differ between runs.
  file(READ ${dir}/jobs${jobs}.json json)
  string(REGEX REPLACE "\"elapsed_s\": *[0-9.eE+-]+" "\"elapsed_s\": 0" json "${json}")
  file(WRITE ${dir}/jobs${jobs}.stripped.json "${json}")
endforeach()
expect_same_file(${dir}/jobs1.stripped.json ${dir}/jobs2.stripped.json "sweep with --jobs 1 and --jobs 2")
message(STATUS "reports identical across repeated runs and across --jobs 1 / --jobs 2")

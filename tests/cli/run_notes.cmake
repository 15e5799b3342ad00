# A run that changes, ignores or falls back from what was asked says so: a `note:` line in the text
# report and an entry of the JSON report's `warnings` (sim/src/run_notes.cpp). -DFMSIM -DSRC -DOUT
file(MAKE_DIRECTORY ${OUT})
function(expect_notes label expected_count expected_text)
  execute_process(COMMAND ${FMSIM} run ${ARGN} --json ${OUT}/notes.json OUTPUT_VARIABLE text RESULT_VARIABLE rc
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${label}: exit ${rc}: ${err}")
  endif()
  file(READ ${OUT}/notes.json json)
  string(JSON count LENGTH "${json}" warnings)
  if(NOT count EQUAL expected_count)
    message(FATAL_ERROR "${label}: ${count} warnings, expected ${expected_count}:\n${text}")
  endif()
  if(NOT expected_text STREQUAL "" AND NOT text MATCHES "  note: ${expected_text}")
    message(FATAL_ERROR "${label}: no note matching '${expected_text}' in:\n${text}")
  endif()
endfunction()

set(s ${SRC}/configs/scenarios)
expect_notes("bf16 on an A100" 0 "" ${s}/default.json)
expect_notes("fp8 on an A100" 1 "fp8 math: a100-sxm-80gb has no fp8 matrix rate; its GEMMs run at the fp16 rate"
             ${s}/default.json --set precision=fp8)
expect_notes("fp8 on an H100" 0 "" ${s}/default.json --set precision=fp8 --set hardware=h100-sxm)
expect_notes("dp 2 x tp 4" 1 "batch 32 is split over 2 data-parallel replicas: each runs batch 16"
             ${s}/llama2-70b-8xh100.json --set parallelism.tp=4 --set parallelism.dp=2)
expect_notes("cuda graphs on a TPU" 1 "runtime cuda-graphs replays CUDA graphs, which tpu-v5e \\(a tpu\\) does not run"
             ${s}/vit-b16-tpu-v5e.json --set runtime=cuda-graphs)
expect_notes("training batch" 1 "batch 64 is not used by a training run: each step takes 512 sequences"
             ${s}/llama2-7b-finetune-a100.json --set batch=64 --set training.global_batch=512)
message(STATUS "notes as expected")

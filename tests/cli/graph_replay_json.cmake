# `fmsim graph --json --hardware` carries the replay object with its documented keys.
execute_process(COMMAND ${FMSIM} graph gpt2 --phase generate --input-len 64 --output-len 4 --hardware a100-sxm-80gb
                --json OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fmsim graph --hardware exited with ${rc}")
endif()
foreach(key hardware latency_s ttft_s tpot_s memory_peak_bytes memory_capacity_bytes fits energy_j
            energy_per_token_j energy_per_sample_j groups kernels_simulated kernels_reused)
  string(JSON value ERROR_VARIABLE err GET "${out}" replay ${key})
  if(err)
    message(FATAL_ERROR "missing replay.${key}: ${err}")
  endif()
endforeach()
string(JSON fits GET "${out}" replay fits)
if(NOT fits STREQUAL "ON")
  message(FATAL_ERROR "GPT-2 should fit on an A100, got fits=${fits}")
endif()

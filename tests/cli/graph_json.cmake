# `fmsim graph --json` prints one JSON object with the documented keys.
execute_process(COMMAND ${FMSIM} graph llama2-7b --phase prefill --batch 1 --input-len 128 --json
                OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fmsim graph exited with ${rc}")
endif()
foreach(key params_total params_active flops weight_bytes kv_cache_bytes activation_bytes groups)
  string(JSON value ERROR_VARIABLE err GET "${out}" ${key})
  if(err)
    message(FATAL_ERROR "missing key ${key}: ${err}\n${out}")
  endif()
endforeach()
string(JSON attn_params GET "${out}" groups attention params)
string(JSON kv GET "${out}" kv_cache_bytes)
# 2 * 32 layers * 32 heads * 128 dims * 128 tokens * 2 bytes
if(NOT kv EQUAL 67108864)
  message(FATAL_ERROR "kv_cache_bytes ${kv}, expected 67108864")
endif()
# 32 layers * 4 * 4096^2 attention weights
if(NOT attn_params EQUAL 2147483648)
  message(FATAL_ERROR "attention params ${attn_params}, expected 2147483648")
endif()

# `fmsim kernel gemm --json` prints the documented keys, and the GEMM's FLOPs are 2*M*N*K.
execute_process(COMMAND ${FMSIM} kernel gemm --m 1024 --n 2048 --k 512 --hardware a100-sxm-80gb --json
                OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fmsim kernel exited with ${rc}")
endif()
foreach(key time_s flops bytes tflops bandwidth_gbps bound energy_j)
  string(JSON value ERROR_VARIABLE err GET "${out}" ${key})
  if(err)
    message(FATAL_ERROR "missing key ${key}: ${err}\n${out}")
  endif()
endforeach()
string(JSON flops GET "${out}" flops)
if(NOT flops EQUAL 2147483648)
  message(FATAL_ERROR "flops ${flops}, expected 2*1024*2048*512")
endif()
execute_process(COMMAND ${FMSIM} kernel gemm --m 0 --n 1 --k 1 --hardware a100-sxm-80gb RESULT_VARIABLE rc
                OUTPUT_QUIET ERROR_QUIET)
if(NOT rc EQUAL 2)
  message(FATAL_ERROR "a zero dimension should exit with 2, got ${rc}")
endif()
# With --runtime, the synchronous call adds the host's dispatch and wake-up to the kernel.
execute_process(COMMAND ${FMSIM} kernel softmax --rows 4096 --cols 32 --hardware a100-sxm-80gb --runtime pytorch-eager
                --json OUTPUT_VARIABLE out RESULT_VARIABLE rc)
string(JSON call GET "${out}" call_s)
string(JSON time GET "${out}" time_s)
if(NOT rc EQUAL 0 OR NOT call GREATER time)
  message(FATAL_ERROR "expected call_s > time_s under pytorch-eager: ${out}")
endif()

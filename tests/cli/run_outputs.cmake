# `fmsim run` outputs: the JSON report's stable keys, --set overrides, the per-op CSV, the
# Perfetto trace, and a scenario that does not fit (a verdict with the amount over, exit 0).
# Usage: cmake -DFMSIM=fmsim -DSRC=source-dir -DOUT=scratch-dir -P run_outputs.cmake
file(MAKE_DIRECTORY ${OUT})
set(scenario ${SRC}/configs/scenarios/gpt2-decode-cuda-graphs.json)
execute_process(COMMAND ${FMSIM} run ${scenario} --set batch=4 --set output_len=16 --set cost.usd_per_device_hour=2
                        --json ${OUT}/report.json --csv ${OUT}/ops.csv --trace ${OUT}/trace.json
                RESULT_VARIABLE rc OUTPUT_VARIABLE text)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fmsim run exited ${rc}")
endif()
string(FIND "${text}" "TPOT" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the text summary has no TPOT line:\n${text}")
endif()
file(READ ${OUT}/report.json report)
foreach(key latency_s ttft_s tpot_s throughput_tokens_per_s throughput_samples_per_s memory energy cost breakdown
        top_ops scenario)
  string(JSON v ERROR_VARIABLE e GET "${report}" ${key})
  if(e)
    message(FATAL_ERROR "report.json lacks '${key}'")
  endif()
endforeach()
foreach(path "memory;peak_bytes_per_device" "memory;weights_bytes" "memory;kv_cache_bytes" "memory;activation_bytes"
        "memory;fits" "energy;total_j" "energy;per_token_j" "cost;usd" "cost;co2_kg")
  string(JSON v ERROR_VARIABLE e GET "${report}" ${path})
  if(e)
    message(FATAL_ERROR "report.json lacks '${path}'")
  endif()
endforeach()
# The overrides reached the run: 4 sequences x 16 tokens, priced at $2 per device-hour.
string(JSON batch GET "${report}" scenario batch)
string(JSON latency GET "${report}" latency_s)
string(JSON usd GET "${report}" cost usd)
string(JSON tokens_per_s GET "${report}" throughput_tokens_per_s)
if(NOT batch EQUAL 4)
  message(FATAL_ERROR "--set batch=4 gave scenario.batch ${batch}")
endif()
# usd = 2 $/h x latency / 3600 and tokens/s = 64 / latency, checked to 1e-6 relative in integer-free form.
set(check "import json,sys; r=json.load(open(sys.argv[1])); l=r['latency_s'];\
assert abs(r['cost']['usd']-2*l/3600)<=1e-9*max(1,l), r['cost'];\
assert abs(r['throughput_tokens_per_s']*l-64)<1e-6, r['throughput_tokens_per_s'];\
assert r['ttft_s']<l and r['tpot_s']>0 and r['memory']['fits'] is True")
find_program(PYTHON python3)
if(PYTHON)
  execute_process(COMMAND ${PYTHON} -c "${check}" ${OUT}/report.json RESULT_VARIABLE prc ERROR_VARIABLE perr)
  if(NOT prc EQUAL 0)
    message(FATAL_ERROR "report arithmetic: ${perr}")
  endif()
endif()
# One CSV row per op of every stage: prefill + 15 decode steps of GPT-2 small.
file(STRINGS ${OUT}/ops.csv rows)
list(LENGTH rows n)
list(GET rows 0 header)
if(NOT header MATCHES "^stage,name,kind,group,layer,start_s,duration_s,flops,bytes,dram_bytes,energy_j,bound,engine")
  message(FATAL_ERROR "ops.csv header: ${header}")
endif()
execute_process(COMMAND ${FMSIM} graph gpt2 --phase generate --batch 4 --input-len 128 --output-len 16 --json
                OUTPUT_VARIABLE graph)
string(JSON nstages GET "${graph}" stages)
string(JSON ops GET "${graph}" ops)
math(EXPR want "${ops} + 1")
if(NOT n EQUAL want)
  message(FATAL_ERROR "ops.csv has ${n} lines; want ${want} (header + one per op of ${nstages} stages)")
endif()
# The trace: trace events with named tracks for the engines and each memory channel.
file(READ ${OUT}/trace.json trace)
string(JSON events LENGTH "${trace}" traceEvents)
foreach(track "matrix engine" "vector engine" "memory channel 0")
  string(FIND "${trace}" "\"name\":\"${track}\"" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "trace.json has no '${track}' track")
  endif()
endforeach()
# A scenario that does not fit is a verdict, not an error.
execute_process(COMMAND ${FMSIM} run ${SRC}/configs/scenarios/llama2-70b-one-h100.json --json -
                RESULT_VARIABLE rc OUTPUT_VARIABLE big)
string(JSON fits GET "${big}" memory fits)
string(JSON over GET "${big}" memory over_bytes)
if(NOT rc EQUAL 0 OR fits OR over LESS_EQUAL 0)
  message(FATAL_ERROR "llama2-70b on one H100: exit ${rc}, fits ${fits}, over ${over}")
endif()
message(STATUS "report keys, --set, ${n} CSV lines, ${events} trace events, the OOM verdict: all as expected")

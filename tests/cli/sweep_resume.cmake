# `fmsim sweep` stores each point once: a sweep killed with SIGKILL mid-run and rerun ends with one
# row per point, the rerun runs only the points that were missing, and `fmsim results` exports them.
# Needs a POSIX shell (the sweep is started in the background and killed by its pid).
set(dir ${CMAKE_CURRENT_BINARY_DIR}/sweep_resume)
file(REMOVE_RECURSE ${dir})
file(MAKE_DIRECTORY ${dir})
set(db ${dir}/results.sqlite)

file(WRITE ${dir}/base.json [[{
  "name": "resume-base",
  "model": "llama2-7b",
  "hardware": "a100-sxm-80gb",
  "phase": "generate",
  "input_len": 256,
  "output_len": 4
}]])
# 8 x 3 = 24 points.
file(WRITE ${dir}/sweep.json [[{
  "name": "resume",
  "base": "base.json",
  "axes": {"batch": [1, 2, 3, 4, 5, 6, 7, 8], "output_len": [64, 128, 256]}
}]])
set(total 24)

function(stored_rows out_var)
  execute_process(COMMAND ${FMSIM} results ${db} --sweep resume --json - OUTPUT_VARIABLE json RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "fmsim results exited with ${rc}")
  endif()
  string(JSON n LENGTH "${json}")
  set(${out_var} ${n} PARENT_SCOPE)
  set(${out_var}_json "${json}" PARENT_SCOPE)
endfunction()

# 1. Start the sweep with two workers, wait until two points are stored, kill -9 the sweep.
execute_process(
  COMMAND sh -c [[
    "$0" sweep "$1" --db "$2" --jobs 2 >"$3/run1.log" 2>&1 &
    pid=$!
    i=0
    while [ $i -lt 1200 ]; do
      n=$("$0" results "$2" --csv - 2>/dev/null | wc -l)
      [ "$n" -ge 3 ] && break
      kill -0 $pid 2>/dev/null || break
      sleep 0.05
      i=$((i + 1))
    done
    kill -9 $pid 2>/dev/null
    wait $pid
    exit 0
  ]] ${FMSIM} ${dir}/sweep.json ${db} ${dir}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the background sweep script failed (${rc})")
endif()
stored_rows(after_kill)
if(after_kill LESS 2 OR NOT after_kill LESS total)
  file(READ ${dir}/run1.log log)
  message(FATAL_ERROR "expected the killed sweep to leave between 2 and ${total} points, got ${after_kill}:\n${log}")
endif()

# 2. Rerun: only the missing points run.
execute_process(COMMAND ${FMSIM} sweep ${dir}/sweep.json --db ${db} --jobs 2 OUTPUT_VARIABLE out ERROR_VARIABLE err
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "sweep rerun exited with ${rc}: ${err}")
endif()
math(EXPR missing "${total} - ${after_kill}")
if(NOT err MATCHES "${after_kill} already in .*running ${missing} in")
  message(FATAL_ERROR "the rerun should run the ${missing} missing points, said:\n${err}")
endif()
if(NOT err MATCHES "point ${total}/${total} done")  # not a terminal: plain progress lines
  message(FATAL_ERROR "expected plain progress lines, got:\n${err}")
endif()

# 3. One row per point, no duplicates, all ok.
stored_rows(n)
if(NOT n EQUAL total)
  message(FATAL_ERROR "expected ${total} stored points, got ${n}")
endif()
set(keys "")
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  string(JSON batch GET "${n_json}" ${i} axes batch)
  string(JSON len GET "${n_json}" ${i} axes output_len)
  string(JSON status GET "${n_json}" ${i} status)
  string(JSON latency GET "${n_json}" ${i} latency_s)
  string(JSON report_latency GET "${n_json}" ${i} report latency_s)
  if(NOT status STREQUAL "ok" OR NOT latency STREQUAL report_latency)
    message(FATAL_ERROR "point batch=${batch} output_len=${len}: status ${status}, latency ${latency} vs ${report_latency}")
  endif()
  list(APPEND keys "${batch}/${len}")
endforeach()
list(REMOVE_DUPLICATES keys)
list(LENGTH keys unique)
if(NOT unique EQUAL total)
  message(FATAL_ERROR "duplicate points: ${unique} distinct of ${n}")
endif()

# 4. A third run has nothing to do.
execute_process(COMMAND ${FMSIM} sweep ${dir}/sweep.json --db ${db} ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT err MATCHES "nothing to run")
  message(FATAL_ERROR "a complete sweep should have nothing to run (exit ${rc}):\n${err}")
endif()

# 5. Exports: --where filters by axis value; CSV has one row per point.
execute_process(COMMAND ${FMSIM} results ${db} --where batch=2 --json - OUTPUT_VARIABLE json RESULT_VARIABLE rc)
string(JSON n LENGTH "${json}")
if(NOT rc EQUAL 0 OR NOT n EQUAL 3)
  message(FATAL_ERROR "results --where batch=2: exit ${rc}, ${n} points (expected 3)")
endif()
execute_process(COMMAND ${FMSIM} results ${db} --csv ${dir}/all.csv OUTPUT_VARIABLE table RESULT_VARIABLE rc)
file(STRINGS ${dir}/all.csv rows)
list(LENGTH rows n)
list(GET rows 0 header)
if(NOT rc EQUAL 0 OR NOT n EQUAL 25 OR NOT header MATCHES "^sweep,point_index,status,batch,output_len,latency_s,")
  message(FATAL_ERROR "results --csv: exit ${rc}, ${n} lines, header ${header}")
endif()
if(NOT table MATCHES "sweep resume: 24 points \\(24 ok, 0 error\\)")
  message(FATAL_ERROR "results table:\n${table}")
endif()
execute_process(COMMAND ${FMSIM} results ${db} --where bach=2 ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 2 OR NOT err MATCHES "did you mean 'batch'")
  message(FATAL_ERROR "results --where with an unknown axis: exit ${rc}, ${err}")
endif()

# 6. A point whose scenario is invalid is stored as an error; the rest of the sweep runs.
file(WRITE ${dir}/bad.json [[{
  "name": "with-error",
  "base": "base.json",
  "axes": {"precision": ["bf16", "fp7"]}
}]])
execute_process(COMMAND ${FMSIM} sweep ${dir}/bad.json --db ${db} --pareto latency_s,energy.total_j
                --pareto-csv ${dir}/front.csv OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "1 failed" OR NOT err MATCHES "point 2/2 error: precision=fp7: .*/precision")
  message(FATAL_ERROR "sweep with an invalid point: exit ${rc}\n${out}\n${err}")
endif()
file(STRINGS ${dir}/front.csv rows)
list(LENGTH rows n)
if(NOT n EQUAL 2)
  message(FATAL_ERROR "the Pareto CSV of one ok point should have 2 lines, got ${n}")
endif()
execute_process(COMMAND ${FMSIM} results ${db} --sweep with-error --where status=error --json - OUTPUT_VARIABLE json)
string(JSON n LENGTH "${json}")
string(JSON message GET "${json}" 0 error)
if(NOT n EQUAL 1 OR NOT message MATCHES "base.json: /precision")
  message(FATAL_ERROR "expected one stored error naming /precision, got ${n}: ${message}")
endif()

# 7. Bad input: a sweep file with a typo, an unknown Pareto key.
file(WRITE ${dir}/typo.json [[{"name": "t", "base": "base.json", "axis": {"batch": [1]}}]])
execute_process(COMMAND ${FMSIM} sweep ${dir}/typo.json --db ${db} ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 2 OR NOT err MATCHES "typo.json: /axis: unknown key for sweep \\(did you mean 'axes'\\?\\)")
  message(FATAL_ERROR "sweep file with a typo: exit ${rc}, ${err}")
endif()
execute_process(COMMAND ${FMSIM} sweep ${dir}/sweep.json --db ${db} --pareto latency,energy.total_j
                ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 2 OR NOT err MATCHES "did you mean 'latency_s'")
  message(FATAL_ERROR "unknown --pareto key: exit ${rc}, ${err}")
endif()

# 8. One name per metric: --pareto takes the name the CSV column has (energy_per_token_j), each
# metric going its better way (throughput up) unless :min/:max says; the older dotted report path
# (energy.per_token_j) is an alias for it. --where takes metric names too.
execute_process(COMMAND ${FMSIM} results ${db} --sweep resume --pareto energy_per_token_j,throughput_tokens_per_s
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Pareto front of energy_per_token_j \\(min\\), throughput_tokens_per_s \\(max\\): [1-9][0-9]* of 24 points")
  message(FATAL_ERROR "--pareto energy_per_token_j: exit ${rc}\n${out}\n${err}")
endif()
execute_process(COMMAND ${FMSIM} sweep ${dir}/sweep.json --db ${db} --pareto energy.per_token_j
                --pareto-csv ${dir}/front_alias.csv OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
file(STRINGS ${dir}/front_alias.csv rows)
list(GET rows 0 header)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Pareto front of energy_per_token_j \\(min\\)"
   OR NOT header STREQUAL "sweep,point_index,batch,output_len,energy_per_token_j")
  message(FATAL_ERROR "--pareto energy.per_token_j (the older path): exit ${rc}, header ${header}\n${out}\n${err}")
endif()
execute_process(COMMAND ${FMSIM} results ${db} --sweep resume --where fits=true --csv - OUTPUT_VARIABLE csv
                RESULT_VARIABLE rc)
string(REGEX MATCHALL "\n" lines "${csv}")
list(LENGTH lines n)
if(NOT rc EQUAL 0 OR NOT n EQUAL 25)
  message(FATAL_ERROR "results --where fits=true: exit ${rc}, ${n} lines")
endif()

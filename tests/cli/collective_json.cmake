# `fmsim link list` lists the presets; `fmsim collective ... --json` prints the documented keys,
# and a bad request exits with 2.
execute_process(COMMAND ${FMSIM} link list OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "nvlink4" OR NOT out MATCHES "tpu-ici-v5e")
  message(FATAL_ERROR "fmsim link list exited with ${rc}:\n${out}")
endif()
execute_process(COMMAND ${FMSIM} collective all_reduce --bytes 1G --devices 16 --devices-per-node 8 --link nvlink4
                --inter-link ib-ndr --json OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fmsim collective exited with ${rc}")
endif()
foreach(key kind bytes devices devices_per_node nodes link inter_link algorithm time_s steps algorithm_bandwidth_gb_per_s
        bus_bandwidth_gb_per_s bus_bandwidth_factor bytes_sent_per_device energy_j)
  string(JSON value ERROR_VARIABLE err GET "${out}" ${key})
  if(err)
    message(FATAL_ERROR "missing key ${key}: ${err}\n${out}")
  endif()
endforeach()
string(JSON nodes GET "${out}" nodes)
string(JSON bytes GET "${out}" bytes)
if(NOT nodes EQUAL 2 OR NOT bytes EQUAL 1073741824)
  message(FATAL_ERROR "expected 2 nodes and 2^30 bytes: ${out}")
endif()
# A tree all-gather, 16 devices in nodes of 8 without an inter-node link, a size that is no size.
foreach(bad "all_gather;--algorithm;tree;--bytes;1M" "all_reduce;--devices-per-node;8;--bytes;1M" "all_reduce;--bytes;lots")
  execute_process(COMMAND ${FMSIM} collective ${bad} --devices 16 --link nvlink4 RESULT_VARIABLE rc
                  OUTPUT_QUIET ERROR_QUIET)
  if(NOT rc EQUAL 2)
    message(FATAL_ERROR "'${bad}' should exit with 2, got ${rc}")
  endif()
endforeach()

# The package guard must fail, naming the package, when setup.sh's list lacks one the build uses.
# Runs scripts/check-setup-packages.sh against a copy of setup.sh with PACKAGE's line removed.
# -DSRC=<source dir> -DBUILD=<build dir> -DPACKAGE=<a Debian package the build uses> -DWORK=<scratch dir>
file(READ ${SRC}/scripts/setup.sh setup)
string(REGEX REPLACE "([ (\n])${PACKAGE}([ )\n])" "\\1\\2" trimmed "${setup}")
if(trimmed STREQUAL setup)
  message(FATAL_ERROR "${PACKAGE} is not in scripts/setup.sh's list: nothing to remove")
endif()
file(MAKE_DIRECTORY ${WORK}/scripts)
file(WRITE ${WORK}/scripts/setup.sh "${trimmed}")
execute_process(COMMAND bash ${WORK}/scripts/setup.sh --list-packages OUTPUT_VARIABLE listed)
if(listed MATCHES "(^|\n)${PACKAGE}\n")
  message(FATAL_ERROR "the trimmed setup.sh still lists ${PACKAGE}")
endif()
execute_process(COMMAND ${SRC}/scripts/check-setup-packages.sh --build-dir ${BUILD} --setup ${WORK}/scripts/setup.sh
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "the guard passed with ${PACKAGE} removed from setup.sh:\n${out}${err}")
endif()
if(NOT out MATCHES "MISSING package ${PACKAGE} ")
  message(FATAL_ERROR "the guard failed (exit ${rc}) without naming ${PACKAGE}:\n${out}${err}")
endif()
message(STATUS "guard caught ${PACKAGE} (exit ${rc}): ${out}")

# Test registration helpers. Labels: unit, validation, mpi, client, slow.
#
#   ifactflow_add_test(NAME SOURCES a.cpp... LIBS lib... LABELS unit)
#   ifactflow_add_mpi_test(NAME SOURCES ... LIBS ... LABELS ... [RANKS 1 2 3])   (default RANKS 1 2)
#       registers NAME.npN for each rank count N under mpiexec (as root, oversubscribed), label mpi
#       added; the test itself compares the distributed result with the one-rank result.

set(IFF_MPI_TEST_ENV
  OMPI_ALLOW_RUN_AS_ROOT=1
  OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  OMPI_MCA_rmaps_base_oversubscribe=1
  OMPI_MCA_btl_vader_single_copy_mechanism=none
  OMP_NUM_THREADS=1)

function(ifactflow_add_test name)
  cmake_parse_arguments(A "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_LIBS} iff_test_main iff_warnings)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 600)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${A_LABELS}" TIMEOUT ${A_TIMEOUT}
                       ENVIRONMENT "${IFF_MPI_TEST_ENV};IFF_EXE=$<TARGET_FILE:ifactflow>")
endfunction()

function(ifactflow_add_mpi_test name)
  cmake_parse_arguments(A "" "TIMEOUT" "SOURCES;LIBS;LABELS;RANKS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  if(NOT A_RANKS)  # the rank counts to run at (default 1 and 2)
    set(A_RANKS 1 2)
  endif()
  target_link_libraries(${name} PRIVATE ${A_LIBS} iff_test_main iff_warnings)
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 600)
  endif()
  foreach(np ${A_RANKS})
    add_test(NAME ${name}.np${np}
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np}
                     --allow-run-as-root --oversubscribe $<TARGET_FILE:${name}>)
    set_tests_properties(${name}.np${np} PROPERTIES LABELS "mpi;${A_LABELS}" PROCESSORS ${np}
                         TIMEOUT ${A_TIMEOUT} ENVIRONMENT "${IFF_MPI_TEST_ENV};IFF_EXE=$<TARGET_FILE:ifactflow>")
  endforeach()
endfunction()

# A client test: a real external program (python3 with h5py, pvpython, matplotlib) run by a
# shell command line. Label client added.
function(ifactflow_add_client_test name)
  cmake_parse_arguments(A "" "TIMEOUT" "COMMAND;LABELS;DEPENDS;RESOURCE_LOCK" ${ARGN})
  add_test(NAME ${name} COMMAND ${A_COMMAND})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 600)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "client;${A_LABELS}" TIMEOUT ${A_TIMEOUT}
                       ENVIRONMENT "${IFF_MPI_TEST_ENV};IFF_EXE=$<TARGET_FILE:ifactflow>")
  if(A_RESOURCE_LOCK)
    # e.g. xvfb: xvfb-run -a picks a free display racily, so X clients run one at a time
    set_tests_properties(${name} PROPERTIES RESOURCE_LOCK "${A_RESOURCE_LOCK}")
  endif()
endfunction()

# A test that cannot run in this configuration (e.g. it needs VTK in a build with
# IFF_WITH_VTK=OFF): registered all the same, it prints "skipped: REASON" and CTest reports
# it as skipped (SKIP_RETURN_CODE), so that a reduced build says what it did not test.
#
#   ifactflow_add_skipped_test(NAME REASON "built without VTK" LABELS unit)
function(ifactflow_add_skipped_test name)
  cmake_parse_arguments(A "" "REASON" "LABELS" ${ARGN})
  add_test(NAME ${name} COMMAND sh -c "echo 'skipped: ${A_REASON}'; exit 77")
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77 LABELS "${A_LABELS}")
endfunction()

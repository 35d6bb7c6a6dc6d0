# The git commit is written into a generated source at build time by a custom target; the
# file is only rewritten when the commit changes, so a new commit relinks but never
# recompiles the libraries.
set(IFF_VERSION_CPP "${CMAKE_BINARY_DIR}/generated/iff_version.cpp")
add_custom_target(iff_version_stamp
  COMMAND ${CMAKE_COMMAND} -DSRC_DIR=${CMAKE_SOURCE_DIR} -DOUT=${IFF_VERSION_CPP}
          -DVERSION=${PROJECT_VERSION} -P ${CMAKE_SOURCE_DIR}/cmake/IffWriteVersion.cmake
  BYPRODUCTS ${IFF_VERSION_CPP}
  COMMENT "Stamping git commit")

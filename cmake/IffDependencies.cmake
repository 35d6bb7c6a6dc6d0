# Finds every third-party package and exposes each as an imported target. Parallel HDF5
# (Open MPI flavour) is preferred; the serial one is rejected because collective writes
# are part of the data contract.

if(IFF_WITH_TORCH OR IFF_TORCH_ONLY)
  # A self-contained libtorch given by -DTorch_DIR (PyTorch's pip wheel, a libtorch zip):
  # TorchConfig looks for Caffe2 and the libraries with PATHS, which come after the system
  # ones, so a system libtorch (Debian's libtorch-dev) would be mixed in; searching its
  # prefix first keeps every part from the one given.
  set(_prefix_path "${CMAKE_PREFIX_PATH}")
  if(Torch_DIR)
    get_filename_component(_torch_prefix "${Torch_DIR}/../../.." ABSOLUTE)
    if(EXISTS "${_torch_prefix}/lib/libtorch.so" AND EXISTS "${_torch_prefix}/share/cmake/Caffe2")
      list(PREPEND CMAKE_PREFIX_PATH "${_torch_prefix}")
    endif()
  endif()
  find_package(Torch REQUIRED)
  set(CMAKE_PREFIX_PATH "${_prefix_path}")  # the other packages as without it
  # The wheel's CUDA libraries (site-packages/nvidia/*/lib, found at run time through
  # libtorch's own RPATH): the linker is pointed at them too, or it resolves libtorch_cuda's
  # libnccl.so.2 in an older CUDA toolkit's folder and misses its newer symbols.
  set(_torch_rpath_link "")
  if(_torch_prefix AND EXISTS "${_torch_prefix}/lib/libtorch.so")
    file(GLOB _torch_nvidia_libs LIST_DIRECTORIES true "${_torch_prefix}/../nvidia/*/lib")
    if(_torch_nvidia_libs)
      string(REPLACE ";" ":" _torch_rpath_link "${_torch_nvidia_libs}")
    endif()
  endif()
  # Device types this libtorch was built for (CUDA when the one given by -DTorch_DIR has it).
  set(IFF_TORCH_DEVICES "cpu")
  if(TORCH_CUDA_LIBRARIES OR CUDA_FOUND OR TARGET torch_cuda)
    string(APPEND IFF_TORCH_DEVICES ",cuda")
  endif()
  # libtorch's flags (ABI, warnings) stay on the torch targets only.
  add_library(iff_torch INTERFACE)
  target_link_libraries(iff_torch INTERFACE ${TORCH_LIBRARIES})
  target_include_directories(iff_torch INTERFACE ${TORCH_INCLUDE_DIRS})
  if(_torch_rpath_link)
    target_link_options(iff_torch INTERFACE "LINKER:-rpath-link,${_torch_rpath_link}")
  endif()
  separate_arguments(_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(iff_torch INTERFACE ${_torch_flags})
  # ccache caches compilations that use the precompiled torch header only when GCC marks
  # the PCH in its preprocessed output (and with sloppiness pch_defines,time_macros, set
  # by scripts/build.sh)
  if(CCACHE_PROGRAM AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(iff_torch INTERFACE -fpch-preprocess)
  endif()
endif()

if(IFF_TORCH_ONLY)
  return()
endif()

find_package(MPI REQUIRED COMPONENTS C CXX)

set(HDF5_PREFER_PARALLEL ON)
if(NOT HDF5_ROOT AND EXISTS /usr/lib/x86_64-linux-gnu/hdf5/openmpi)
  set(HDF5_ROOT /usr/lib/x86_64-linux-gnu/hdf5/openmpi)
endif()
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR "ifactflow needs parallel HDF5 (Debian: libhdf5-openmpi-dev); found a serial one at ${HDF5_C_INCLUDE_DIRS}")
endif()
add_library(iff_hdf5 INTERFACE)
target_include_directories(iff_hdf5 SYSTEM INTERFACE ${HDF5_C_INCLUDE_DIRS})
target_link_libraries(iff_hdf5 INTERFACE ${HDF5_C_LIBRARIES} MPI::MPI_C)
target_compile_definitions(iff_hdf5 INTERFACE ${HDF5_C_DEFINITIONS})

find_path(FFTW3_INCLUDE_DIR fftw3-mpi.h REQUIRED)
find_library(FFTW3_LIBRARY fftw3 REQUIRED)
find_library(FFTW3_MPI_LIBRARY fftw3_mpi REQUIRED)
add_library(iff_fftw INTERFACE)
target_include_directories(iff_fftw SYSTEM INTERFACE ${FFTW3_INCLUDE_DIR})
target_link_libraries(iff_fftw INTERFACE ${FFTW3_MPI_LIBRARY} ${FFTW3_LIBRARY} MPI::MPI_C)

find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(yaml-cpp REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
# PyTorch's wheel ships the headers of its own fmt (12.x) in its include folder, which comes
# before the system's in the search order; spdlog and the project are built against the
# fmt found here, so a folder holding only that fmt/ goes before libtorch's headers.
if(TARGET iff_torch)
  get_target_property(_fmt_include fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
  list(GET _fmt_include 0 _fmt_include)
  get_filename_component(_fmt_include "${_fmt_include}" REALPATH)
  set(_torch_fmt OFF)
  foreach(_d ${TORCH_INCLUDE_DIRS})
    get_filename_component(_d "${_d}" REALPATH)
    if(EXISTS "${_d}/fmt/format.h" AND NOT _d STREQUAL _fmt_include)  # not the system's own
      set(_torch_fmt ON)
    endif()
  endforeach()
  if(_torch_fmt AND EXISTS "${_fmt_include}/fmt/format.h")
    set(_fmt_shim "${CMAKE_BINARY_DIR}/fmt-before-torch")
    file(MAKE_DIRECTORY "${_fmt_shim}")
    file(CREATE_LINK "${_fmt_include}/fmt" "${_fmt_shim}/fmt" SYMBOLIC)
    target_include_directories(iff_torch SYSTEM BEFORE INTERFACE "${_fmt_shim}")
    message(STATUS "libtorch ships its own fmt headers: ${_fmt_include}/fmt is used instead")
  endif()
endif()
find_package(CLI11 QUIET)
if(NOT CLI11_FOUND)
  find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
  add_library(CLI11::CLI11 INTERFACE IMPORTED)
  target_include_directories(CLI11::CLI11 INTERFACE ${CLI11_INCLUDE_DIR})
endif()

# VTK: Debian's libvtk9-dev cannot be installed beside python3-paraview (pvpython, used by
# the client tests), so the VTK that ParaView ships (paraview-dev) is used; a plain VTK 9
# found first works too. Only the modules the XML writers need: linking the HDF5-based
# VTK modules would pull a second (serial) HDF5 into the same process.
# IFF_WITH_VTK=OFF (e.g. a GPU node without VTK development packages): no VTK at all;
# VTK_LIBRARIES is empty and the commands refuse VTK output in one line.
if(IFF_WITH_VTK)
  find_package(VTK QUIET COMPONENTS CommonCore CommonDataModel IOXML)
  if(NOT VTK_FOUND)
    find_package(VTK QUIET COMPONENTS CommonCore CommonDataModel IOXML
                 PATHS /usr/lib/x86_64-linux-gnu/cmake/paraview-5.11/vtk NO_DEFAULT_PATH)
  endif()
  if(NOT VTK_FOUND)
    message(FATAL_ERROR "VTK 9 (modules CommonCore, CommonDataModel, IOXML) not found: install paraview-dev "
                        "(Debian) or give -DVTK_DIR=..., or configure with -DIFF_WITH_VTK=OFF to build without "
                        "VTK output (preset release-novtk)")
  endif()
else()
  set(VTK_LIBRARIES "")
  set(VTK_VERSION "")
endif()

find_package(LAPACK REQUIRED)

if(IFF_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()

if(IFF_SANITIZE)
  add_library(iff_sanitize INTERFACE)
  target_compile_options(iff_sanitize INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(iff_sanitize INTERFACE -fsanitize=address,undefined)
endif()

# Common warnings for the project's own code.
add_library(iff_warnings INTERFACE)
target_compile_options(iff_warnings INTERFACE -Wall -Wextra -Wno-unused-parameter)

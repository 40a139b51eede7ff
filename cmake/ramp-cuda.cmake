# ramp-cuda.cmake — the engine's CUDA backend (src/nn/backend_cuda.c,
# cuda_*.c, cuda_*.cu), chosen by RAMP_CUDA:
#   AUTO (default)  built when the CUDA toolkit (nvcc, cudart, cuBLAS) and
#                   cuDNN are found; otherwise ramp builds exactly as without
#   ON              they must be found: configuration fails naming what is not
#   OFF             never built
# cuDNN is looked for beside the toolkit's headers and libraries, or under
# CUDNN_ROOT. Sets RAMP_HAVE_CUDA (ON/OFF), RAMP_CUDA_LIBS (full paths: only
# the engine's library links them) and RAMP_CUDA_INCLUDE_DIRS.
set(RAMP_CUDA AUTO CACHE STRING "The engine's CUDA backend: AUTO (when the toolkit and cuDNN are found), ON or OFF")
set_property(CACHE RAMP_CUDA PROPERTY STRINGS AUTO ON OFF)
string(TOUPPER "${RAMP_CUDA}" RAMP_CUDA_MODE)
if(NOT RAMP_CUDA_MODE MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "RAMP_CUDA is '${RAMP_CUDA}': give AUTO, ON or OFF")
endif()
set(RAMP_HAVE_CUDA OFF)
set(RAMP_CUDA_LIBS "")
set(RAMP_CUDA_INCLUDE_DIRS "")
# AUTO leaves it out of the sanitizer and fuzzer builds: their runtimes and
# the CUDA driver's address-space reservations do not mix (ON still asks)
if(RAMP_CUDA_MODE STREQUAL "AUTO" AND (RAMP_SANITIZE OR RAMP_TSAN OR RAMP_FUZZ))
  message(STATUS "CUDA backend: off (RAMP_CUDA=AUTO in a sanitizer or fuzzer build; -DRAMP_CUDA=ON to build it)")
  set(RAMP_CUDA_MODE OFF)
endif()
if(NOT RAMP_CUDA_MODE STREQUAL "OFF")
  set(ramp_cuda_missing "")
  find_package(CUDAToolkit QUIET)
  if(NOT CUDAToolkit_FOUND)
    list(APPEND ramp_cuda_missing "the CUDA toolkit (nvcc, libcudart: set CUDAToolkit_ROOT)")
  else()
    if(NOT CUDA_cublas_LIBRARY)
      list(APPEND ramp_cuda_missing "cuBLAS (libcublas in ${CUDAToolkit_LIBRARY_DIR})")
    endif()
    find_path(RAMP_CUDNN_INCLUDE_DIR cudnn.h
              HINTS ${CUDNN_ROOT} $ENV{CUDNN_ROOT} ${CUDAToolkit_INCLUDE_DIRS} ${CUDAToolkit_LIBRARY_ROOT}
              PATH_SUFFIXES include)
    find_library(RAMP_CUDNN_LIBRARY cudnn
                 HINTS ${CUDNN_ROOT} $ENV{CUDNN_ROOT} ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT}
                 PATH_SUFFIXES lib lib64 lib/x64)
    if(NOT RAMP_CUDNN_INCLUDE_DIR)
      list(APPEND ramp_cuda_missing "cuDNN's header cudnn.h (set CUDNN_ROOT)")
    endif()
    if(NOT RAMP_CUDNN_LIBRARY)
      list(APPEND ramp_cuda_missing "cuDNN's library libcudnn (set CUDNN_ROOT)")
    endif()
    include(CheckLanguage)
    if(NOT CMAKE_CUDA_COMPILER)
      set(CMAKE_CUDA_COMPILER ${CUDAToolkit_NVCC_EXECUTABLE})
    endif()
    check_language(CUDA)
    if(NOT CMAKE_CUDA_COMPILER)
      list(APPEND ramp_cuda_missing "a working nvcc (CMAKE_CUDA_COMPILER)")
    endif()
  endif()
  if(ramp_cuda_missing)
    list(JOIN ramp_cuda_missing ", " missing)
    if(RAMP_CUDA_MODE STREQUAL "ON")
      message(FATAL_ERROR "RAMP_CUDA is ON but ${missing} not found: install them, or configure "
                          "with -DRAMP_CUDA=OFF (or AUTO), which builds ramp without the CUDA backend")
    endif()
    message(STATUS "CUDA backend: off (RAMP_CUDA=AUTO, not found: ${missing})")
  else()
    # Turing (sm_75, the oldest CUDA 13 builds for), Ampere (sm_80, whose
    # code the later 8.x run: bf16 is accepted from there) and Hopper (sm_90:
    # the H200 to plan for); set CMAKE_CUDA_ARCHITECTURES for others. With
    # 90 alone, an Ampere GPU passed the bf16 check and then found no kernel.
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES "75;80;90")
    endif()
    enable_language(CUDA)
    # no build path in the objects (test_no_build_paths), as for C: nvcc
    # hands the host compiler's part the same prefix maps
    add_compile_options(
      "$<$<COMPILE_LANGUAGE:CUDA>:SHELL:-Xcompiler -ffile-prefix-map=${PROJECT_SOURCE_DIR}=.>"
      "$<$<COMPILE_LANGUAGE:CUDA>:SHELL:-Xcompiler -ffile-prefix-map=${PROJECT_BINARY_DIR}=.>")
    set(RAMP_HAVE_CUDA ON)
    set(RAMP_CUDA_INCLUDE_DIRS ${CUDAToolkit_INCLUDE_DIRS} ${RAMP_CUDNN_INCLUDE_DIR})
    # the runtime linked statically (it loads the driver on its first call);
    # cuBLAS and cuDNN dlopened when a net first runs on CUDA (cuda_dl.c):
    # linked, they would add ~200 MiB resident to every process
    set(RAMP_CUDA_LIBS ${CUDA_cudart_static_LIBRARY} ${CMAKE_DL_LIBS} rt pthread)
    file(STRINGS "${RAMP_CUDNN_INCLUDE_DIR}/cudnn_version.h" ramp_cudnn_major
         REGEX "^#define CUDNN_MAJOR +[0-9]+")
    string(REGEX REPLACE ".* ([0-9]+)$" "\\1" ramp_cudnn_major "${ramp_cudnn_major}")
    set(RAMP_CUDA_DEFS RAMP_CUBLAS_SONAME="libcublas.so.${CUDAToolkit_VERSION_MAJOR}"
                       RAMP_CUDNN_SONAME="libcudnn.so.${ramp_cudnn_major}"
                       RAMP_CUBLAS_PATH="${CUDA_cublas_LIBRARY}"
                       RAMP_CUDNN_PATH="${RAMP_CUDNN_LIBRARY}")
    message(STATUS "CUDA backend: on (CUDA ${CUDAToolkit_VERSION}, cuDNN ${RAMP_CUDNN_LIBRARY}, "
                   "architectures ${CMAKE_CUDA_ARCHITECTURES})")
  endif()
endif()

# ramp's external libraries as imported targets, shared by the build
# (CMakeLists.txt) and the installed package (ramp-config.cmake: libramp.a
# brings them to whoever links it).
#
# Reads RAMP_WITH_PLATFORM, RAMP_WITH_ENGINE and RAMP_WITH_ONNX (ON/OFF). Sets
#   RAMP_LINK_LIBS          what libramp links: targets and flags
#   RAMP_PC_REQUIRES        ramp.pc's Requires.private (pkg-config modules)
#   RAMP_PC_LIBS            ramp.pc's Libs.private (plain -l flags)
#   RAMP_MISSING_<PART>     for PART in CORE, PLATFORM, ENGINE, ONNX: what was not
#                           found, each as "module (Debian package)"
include_guard(GLOBAL)
find_package(PkgConfig QUIET)
find_package(Threads QUIET)
set(RAMP_LINK_LIBS "")
set(RAMP_PC_REQUIRES "")
set(RAMP_PC_LIBS "")
foreach(part CORE PLATFORM ENGINE ONNX)
  set(RAMP_MISSING_${part} "")
endforeach()

# ramp_pkg(PART VAR MODULE DEBIAN): pkg-config MODULE as PkgConfig::VAR
macro(ramp_pkg part var module debian)
  if(NOT TARGET PkgConfig::${var} AND PKG_CONFIG_FOUND)
    pkg_check_modules(${var} QUIET IMPORTED_TARGET ${module})
  endif()
  if(TARGET PkgConfig::${var})
    list(APPEND RAMP_LINK_LIBS PkgConfig::${var})
    string(APPEND RAMP_PC_REQUIRES " ${module}")
  else()
    list(APPEND RAMP_MISSING_${part} "${module} (${debian})")
  endif()
endmacro()

if(NOT PKG_CONFIG_FOUND)
  list(APPEND RAMP_MISSING_CORE "pkg-config (pkg-config)")
endif()
ramp_pkg(CORE RAMP_TURBOJPEG libturbojpeg libturbojpeg0-dev)
ramp_pkg(CORE RAMP_SPNG spng libspng-dev)
ramp_pkg(CORE RAMP_ZLIB zlib zlib1g-dev)
# the sandbox's system-call filter (untrusted code: folds, compiles)
ramp_pkg(CORE RAMP_SECCOMP libseccomp libseccomp-dev)
if(RAMP_WITH_PLATFORM)
  # the platform's store (SQLite, PostgreSQL), web server, and token hashing
  ramp_pkg(PLATFORM RAMP_SQLITE3 sqlite3 libsqlite3-dev)
  ramp_pkg(PLATFORM RAMP_LIBPQ libpq libpq-dev)
  ramp_pkg(PLATFORM RAMP_MHD libmicrohttpd libmicrohttpd-dev)
  ramp_pkg(PLATFORM RAMP_NETTLE nettle nettle-dev)
endif()
if(RAMP_WITH_ENGINE)
  # oneDNN 2.x ships no pkg-config file, and its CMake package wants OpenCL
  if(NOT TARGET ramp_deps::dnnl)
    find_library(RAMP_DNNL_LIBRARY dnnl)
    find_path(RAMP_DNNL_INCLUDE_DIR dnnl.h)
    if(RAMP_DNNL_LIBRARY AND RAMP_DNNL_INCLUDE_DIR)
      add_library(ramp_deps::dnnl UNKNOWN IMPORTED)
      set_target_properties(ramp_deps::dnnl PROPERTIES IMPORTED_LOCATION "${RAMP_DNNL_LIBRARY}"
                            INTERFACE_INCLUDE_DIRECTORIES "${RAMP_DNNL_INCLUDE_DIR}")
    endif()
  endif()
  if(TARGET ramp_deps::dnnl)
    list(APPEND RAMP_LINK_LIBS ramp_deps::dnnl)
    string(APPEND RAMP_PC_LIBS " -ldnnl")
  else()
    list(APPEND RAMP_MISSING_ENGINE "oneDNN: libdnnl and dnnl.h (libdnnl-dev)")
  endif()
endif()
if(RAMP_WITH_ONNX)
  # ONNX files (ramp_net_load_onnx, ramp_net_save_onnx): protobuf-c's runtime,
  # and its compiler, which turns src/onnx/onnx_subset.proto into C
  ramp_pkg(ONNX RAMP_PROTOBUF_C libprotobuf-c libprotobuf-c-dev)
  if(NOT RAMP_PROTOC_C)
    find_program(RAMP_PROTOC_C protoc-c)
  endif()
  if(NOT RAMP_PROTOC_C AND NOT RAMP_INSTALLED_PACKAGE)
    list(APPEND RAMP_MISSING_ONNX "protoc-c (protobuf-c-compiler)")
  endif()
endif()
if(NOT Threads_FOUND)
  list(APPEND RAMP_MISSING_CORE "POSIX threads (libc6-dev)")
endif()
list(APPEND RAMP_LINK_LIBS Threads::Threads ${CMAKE_DL_LIBS} m)
string(APPEND RAMP_PC_LIBS " -lpthread -ldl -lm")
string(STRIP "${RAMP_PC_REQUIRES}" RAMP_PC_REQUIRES)
string(STRIP "${RAMP_PC_LIBS}" RAMP_PC_LIBS)

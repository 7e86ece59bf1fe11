# SPDX-License-Identifier: Apache-2.0
# bpf_skeleton(<name> <source.bpf.c> [DEPENDS headers...])
#
# Compiles a BPF program with clang -target bpf and turns it into a libbpf
# skeleton with `bpftool gen skeleton`, all inside the build directory.
# Produces an INTERFACE target <name>_skel whose include directory (the
# generated <name>.skel.h) is SYSTEM, so the skeleton's own casts do not trip
# the project's warnings, and sets <name>_SKELETON to the header's path.

find_program(SOUSVEIL_CLANG NAMES clang clang-14 REQUIRED)
find_program(SOUSVEIL_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf>=1.0)

execute_process(COMMAND ${SOUSVEIL_CLANG} --version OUTPUT_VARIABLE _clang_version)
string(REGEX MATCH "clang version ([0-9]+)" _ "${_clang_version}")
if(CMAKE_MATCH_1 AND CMAKE_MATCH_1 LESS 11)
  message(FATAL_ERROR "clang ${CMAKE_MATCH_1} is too old for BPF CO-RE; need 11 or newer")
endif()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|amd64")
  set(SOUSVEIL_BPF_ARCH x86)
  set(SOUSVEIL_VMLINUX_DIR ${PROJECT_SOURCE_DIR}/bpf/vmlinux/x86_64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(SOUSVEIL_BPF_ARCH arm64)
  set(SOUSVEIL_VMLINUX_DIR ${PROJECT_SOURCE_DIR}/bpf/vmlinux/aarch64)
else()
  message(FATAL_ERROR "no vmlinux.h for ${CMAKE_SYSTEM_PROCESSOR}; run scripts/gen-vmlinux")
endif()
if(NOT EXISTS ${SOUSVEIL_VMLINUX_DIR}/vmlinux.h)
  message(FATAL_ERROR "${SOUSVEIL_VMLINUX_DIR}/vmlinux.h is missing; run scripts/gen-vmlinux")
endif()

# clang -target bpf does not search the host's system include directories;
# hand them over with -idirafter, as libbpf-bootstrap does.
execute_process(COMMAND ${SOUSVEIL_CLANG} -v -E - INPUT_FILE /dev/null
                OUTPUT_VARIABLE _out ERROR_VARIABLE _clang_search)
string(REGEX MATCH "<...> search starts here:\n(.*)End of search list." _ "${_clang_search}")
string(REGEX MATCHALL "/[^\n]+" _sysdirs "${CMAKE_MATCH_1}")
set(SOUSVEIL_BPF_SYS_INCLUDES "")
foreach(_d IN LISTS _sysdirs)
  string(STRIP "${_d}" _d)
  list(APPEND SOUSVEIL_BPF_SYS_INCLUDES -idirafter ${_d})
endforeach()

function(bpf_skeleton name src)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  set(_out ${CMAKE_BINARY_DIR}/bpf)
  set(_obj ${_out}/${name}.bpf.o)
  set(_skel ${_out}/${name}.skel.h)
  file(MAKE_DIRECTORY ${_out})
  add_custom_command(
    OUTPUT ${_obj}
    COMMAND ${SOUSVEIL_CLANG} -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_${SOUSVEIL_BPF_ARCH}
            -I${PROJECT_SOURCE_DIR}/bpf -I${SOUSVEIL_VMLINUX_DIR} ${SOUSVEIL_BPF_SYS_INCLUDES}
            -c ${src} -o ${_obj}
    DEPENDS ${src} ${ARG_DEPENDS} ${SOUSVEIL_VMLINUX_DIR}/vmlinux.h
    COMMENT "BPF ${name}.bpf.o"
    VERBATIM)
  add_custom_command(
    OUTPUT ${_skel}
    COMMAND ${SOUSVEIL_BPFTOOL} gen skeleton ${_obj} name ${name}_bpf > ${_skel}
    DEPENDS ${_obj}
    COMMENT "BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${_skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel SYSTEM INTERFACE ${_out})
  # The ABI header is ours: a normal include, so its changes rebuild its users.
  target_include_directories(${name}_skel INTERFACE ${PROJECT_SOURCE_DIR}/bpf)
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF)
  # The skeleton is included as a SYSTEM header, which compilers leave out of
  # their dependency files: whoever includes it names it with OBJECT_DEPENDS.
  set(${name}_SKELETON ${_skel} PARENT_SCOPE)
endfunction()

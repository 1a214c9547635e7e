# Turns `squashpub [COMMAND] --help` into a man page with help2man, so the
# page and the binary's help are one text and cannot drift. The one-line
# description of a subcommand comes from the command list in
# `squashpub --help`, for the same reason.
#
# cmake -DHELP2MAN=... -DBINARY=... -DCOMMAND=<subcommand or empty>
#       -DCOMMANDS=<all subcommands, ;-separated> -DOUTPUT=... -P help2man.cmake
cmake_minimum_required(VERSION 3.20)

execute_process(COMMAND ${BINARY} --help OUTPUT_VARIABLE usage RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${BINARY} --help failed (${rc})")
endif()

set(see_also "")
if(COMMAND)
  if(NOT usage MATCHES "\n  ${COMMAND} +([^\n]+)")
    message(FATAL_ERROR "${BINARY} --help does not list the command '${COMMAND}'")
  endif()
  set(description "${CMAKE_MATCH_1}")
  set(title "squashpub-${COMMAND}")
  set(help_option "${COMMAND} --help")
  set(see_also "squashpub(1)")
else()
  set(description "publish SquashFS snapshots of a git repository and deltas between them")
  set(title "squashpub")
  set(help_option "--help")
  foreach(other IN LISTS COMMANDS)
    list(APPEND see_also "squashpub-${other}(1)")
  endforeach()
  list(APPEND see_also "squashmerge(1)")
  list(JOIN see_also ", " see_also)
endif()

# The NAME and SEE ALSO sections: help2man reads them from an include file.
set(include_file "${OUTPUT}.h2m")
file(WRITE "${include_file}" "[NAME]\n${title} \\- ${description}\n[SEE ALSO]\n${see_also}\n")
execute_process(
  COMMAND ${HELP2MAN} --no-info --section=1 "--include=${include_file}"
          "--help-option=${help_option}" --version-option=--version
          "--output=${OUTPUT}.tmp" ${BINARY}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man failed on '${BINARY} ${help_option}' (${rc})")
endif()
# help2man titles every page after the binary; a subcommand's page is
# squashpub-COMMAND(1), as `man squashpub-image` expects.
file(READ "${OUTPUT}.tmp" page)
string(TOUPPER "${title}" upper_title)
string(REGEX REPLACE "\n\\.TH [^ ]+ " "\n.TH ${upper_title} " page "${page}")
file(WRITE "${OUTPUT}" "${page}")
file(REMOVE "${OUTPUT}.tmp" "${include_file}")

# Run at install time (install(CODE) in systemd/CMakeLists.txt): configures
# claimd.service.in for the prefix being installed to and installs it with
# the config. Done at install time, not configure time, so the unit's paths
# follow `cmake --install --prefix P` and cpack's packaging prefix (/usr) too.
#
# In: CMAKE_INSTALL_PREFIX (install time), CLAIMD_SD_SRC (systemd/ source),
# CLAIMD_SD_WORK (a build-tree folder), CLAIMD_BINDIR, CLAIMD_SYSCONFDIR and
# CLAIMD_DOCDIR (GNUInstallDirs' CMAKE_INSTALL_*DIR, relative or absolute).

# GNUInstallDirs' rules for the absolute directories (the macro
# GNUInstallDirs_get_absolute_install_dir of CMake 3.25, which needs a
# project to be included): for the prefix / the SYSCONFDIR is /etc and the
# others /usr/...; for /usr it is /etc; for /opt/P it is /etc/opt/P.
function(claimd_abs out rel kind)
  set(p "${CMAKE_INSTALL_PREFIX}")
  if(IS_ABSOLUTE "${rel}")
    set(abs "${rel}")
  elseif(p STREQUAL "/")
    if(kind STREQUAL "SYSCONFDIR" OR rel MATCHES "^usr/")
      set(abs "/${rel}")
    else()
      set(abs "/usr/${rel}")
    endif()
  elseif(p MATCHES "^/usr/?$" AND kind STREQUAL "SYSCONFDIR")
    set(abs "/${rel}")
  elseif(p MATCHES "^/opt/" AND NOT p MATCHES "^/opt/homebrew/" AND kind STREQUAL "SYSCONFDIR")
    set(abs "/${rel}${p}")
  else()
    set(abs "${p}/${rel}")
  endif()
  string(REGEX REPLACE "//+" "/" abs "${abs}")
  string(REGEX REPLACE "(.)/$" "\\1" abs "${abs}")
  set(${out} "${abs}" PARENT_SCOPE)
endfunction()

claimd_abs(CMAKE_INSTALL_FULL_BINDIR "${CLAIMD_BINDIR}" BINDIR)
claimd_abs(CMAKE_INSTALL_FULL_SYSCONFDIR "${CLAIMD_SYSCONFDIR}" SYSCONFDIR)
claimd_abs(CMAKE_INSTALL_FULL_DOCDIR "${CLAIMD_DOCDIR}" DOCDIR)

# One work folder per destination, so installs to two places at once do not
# race on the configured file.
string(MD5 dest "$ENV{DESTDIR}|${CMAKE_INSTALL_PREFIX}")
set(CLAIMD_SD_WORK "${CLAIMD_SD_WORK}/${dest}")
file(MAKE_DIRECTORY "${CLAIMD_SD_WORK}")
configure_file("${CLAIMD_SD_SRC}/claimd.service.in" "${CLAIMD_SD_WORK}/claimd.service" @ONLY)
string(REGEX REPLACE "/$" "" prefix "${CMAKE_INSTALL_PREFIX}")
file(INSTALL DESTINATION "${prefix}/lib/systemd/system" TYPE FILE
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
     FILES "${CLAIMD_SD_WORK}/claimd.service")

# The config: never overwrite one an administrator may have changed. When a
# different claimd.conf is already there, the new one goes beside it as
# claimd.conf.dist. (The .deb's copy is a dpkg conffile: dpkg asks instead.)
set(confdir "${CMAKE_INSTALL_FULL_SYSCONFDIR}/claimd")
set(existing "$ENV{DESTDIR}${confdir}/claimd.conf")
set(conf_name claimd.conf)
if(EXISTS "${existing}")
  file(SHA256 "${existing}" have)
  file(SHA256 "${CLAIMD_SD_SRC}/claimd.conf" want)
  if(NOT have STREQUAL want)
    set(conf_name claimd.conf.dist)
    message(STATUS "Keeping the changed ${existing}; the new default is ${conf_name}")
  endif()
endif()
file(INSTALL DESTINATION "${confdir}" TYPE FILE RENAME "${conf_name}"
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
     FILES "${CLAIMD_SD_SRC}/claimd.conf")
file(REMOVE_RECURSE "${CLAIMD_SD_WORK}")

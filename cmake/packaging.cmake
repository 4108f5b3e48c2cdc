# Install rules and the Debian package (CPack DEB generator), included at the
# end of the top CMakeLists.txt once the stepwised and stepwise_cli targets
# exist. Configure-time only (no threads).
#
#   cpack --config build/dev/CPackConfig.cmake -G DEB   # -> stepwise_<version>_<arch>.deb
#   apt-get install ./stepwise_*.deb                     # pulls the shared libraries in
#
# Package layout (deploy/debian/check-package.sh checks it on a real install):
#   /usr/bin/stepwised, /usr/bin/stepwise           the server and the CLI (stripped)
#   /lib/systemd/system/stepwised.service           deploy/stepwised.service, ExecStart
#                                                   pointed at the installed stepwised
#   /etc/stepwise/stepwised.conf                    deploy/stepwised.conf (a conffile)
#   /usr/share/doc/stepwise/                        README, copyright, changelog
# The console's assets are compiled into stepwised: nothing to install for them.
# Maintainer scripts (deploy/debian/): postinst creates the `stepwise` system
# user and /var/lib/stepwise, and enables and starts the unit when systemd runs;
# prerm stops it; postrm purge removes /var/lib/stepwise.

include(GNUInstallDirs)

# Maintainer field and changelog signature; set it to a real address when
# publishing the package.
set(SW_DEB_MAINTAINER "Stepwise maintainers <maintainers@stepwise.invalid>"
    CACHE STRING "Maintainer of the Debian package (Name <address>)")

install(TARGETS stepwised stepwise_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES deploy/stepwised.conf DESTINATION /etc/stepwise)
# The unit names /usr/local/bin/stepwised (its manual-install instructions);
# the installed copy names the stepwised installed beside it. Written at
# install time, so it follows the prefix `cmake --install` or cpack uses.
install(CODE "
  file(READ \"${CMAKE_CURRENT_SOURCE_DIR}/deploy/stepwised.service\" unit)
  string(REPLACE \"/usr/local/bin/stepwised\"
         \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/stepwised\" unit \"\${unit}\")
  set(dest \"\$ENV{DESTDIR}/lib/systemd/system\")
  message(STATUS \"Installing: \${dest}/stepwised.service\")
  file(MAKE_DIRECTORY \"\${dest}\")
  file(WRITE \"\${dest}/stepwised.service\" \"\${unit}\")
")
# Debian wants a native package's changelog as changelog.gz (gzip -n: no
# name or time stamp inside, so the package is reproducible).
find_program(SW_GZIP gzip)
set(SW_DEB_CHANGELOG ${CMAKE_CURRENT_BINARY_DIR}/packaging/changelog.gz)
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/packaging)
configure_file(deploy/debian/changelog.in ${CMAKE_CURRENT_BINARY_DIR}/packaging/changelog.Debian
               @ONLY)
if(SW_GZIP)
  execute_process(COMMAND ${SW_GZIP} -9nc ${CMAKE_CURRENT_BINARY_DIR}/packaging/changelog.Debian
                  OUTPUT_FILE ${SW_DEB_CHANGELOG})
  install(FILES ${SW_DEB_CHANGELOG} DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/stepwise)
endif()
install(FILES README.md deploy/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/stepwise)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME stepwise)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Stepwise")
set(CPACK_PACKAGE_CONTACT "${SW_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "durable workflow server for the Amazon States Language")
set(CPACK_PACKAGE_DESCRIPTION
    "Stepwise runs AWS Step Functions state machines (Standard and Express) on
your own machine. Clients use gRPC or the AWS Step Functions JSON API; every
state transition is written to RocksDB before its effects can be observed, so
executions survive crashes. This package holds the stepwised server, the
stepwise command-line client and a systemd unit.")
set(CPACK_STRIP_FILES ON)
# Absolute destinations (/etc, /lib/systemd) land in the package, not on
# the build machine.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # stepwise_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/stepwise/stepwise")
# Shared-library dependencies computed by dpkg-shlibdeps; adduser for postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_SOURCE_DIR}/deploy/debian/postinst
    ${CMAKE_CURRENT_SOURCE_DIR}/deploy/debian/prerm
    ${CMAKE_CURRENT_SOURCE_DIR}/deploy/debian/postrm
    ${CMAKE_CURRENT_SOURCE_DIR}/deploy/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The architecture is dpkg's (CPack asks dpkg --print-architecture).
include(CPack)

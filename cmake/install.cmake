# Installs and exports the client library only: headers under include/wharf
# (minus the embedded-broker header), libwharf_client.a, a CMake package
# (find_package(Wharf) -> Wharf::client) and wharf.pc for pkg-config.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS wharf_client EXPORT WharfTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES
  include/wharf/client.h include/wharf/consumer.h include/wharf/errors.h
  include/wharf/options.h include/wharf/producer.h include/wharf/queue.h include/wharf/record.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/wharf)
install(EXPORT WharfTargets NAMESPACE Wharf:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Wharf)

configure_package_config_file(cmake/WharfConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/WharfConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Wharf)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/WharfConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/WharfConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/WharfConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Wharf)

# The .pc file locates the prefix from its own path, so the install can move.
file(RELATIVE_PATH WHARF_PC_TO_PREFIX /root/${CMAKE_INSTALL_LIBDIR}/pkgconfig /root)
configure_file(cmake/wharf.pc.in ${CMAKE_CURRENT_BINARY_DIR}/wharf.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/wharf.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

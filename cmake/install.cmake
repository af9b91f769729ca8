# Installs what users build against:
#  - the client: headers under include/wharf, libwharf_client.a
#    (find_package(Wharf) -> Wharf::client, pkg-config wharf);
#  - the embeddable broker: wharf/broker.h and the broker's libraries
#    (Wharf::broker, pkg-config wharf-broker);
#  - the programs wharfd and wharf (installed by their folders).
# The broker's libraries need LMDB, fmt, FlatBuffers and Abseil at link
# time; WharfConfig.cmake finds them, and wharf-broker.pc requires them.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS wharf_client EXPORT WharfClientTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set(WHARF_BROKER_LIBRARIES wharf_broker wharf_http wharf_auth wharf_kafka wharf_net wharf_groups wharf_log wharf_queue wharf_storage wharf_kafka_protocol
  wharf_protocol)
install(TARGETS ${WHARF_BROKER_LIBRARIES} EXPORT WharfBrokerTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
foreach(lib ${WHARF_BROKER_LIBRARIES})
  string(REPLACE "wharf_" "" export_name ${lib})
  set_target_properties(${lib} PROPERTIES EXPORT_NAME ${export_name})
endforeach()
install(FILES
  include/wharf/broker.h include/wharf/client.h include/wharf/consumer.h include/wharf/errors.h
  include/wharf/log_level.h include/wharf/options.h include/wharf/producer.h include/wharf/queue.h
  include/wharf/record.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/wharf)
install(EXPORT WharfClientTargets NAMESPACE Wharf:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Wharf)
install(EXPORT WharfBrokerTargets NAMESPACE Wharf:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Wharf)

configure_package_config_file(cmake/WharfConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/WharfConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Wharf)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/WharfConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/WharfConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/WharfConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Wharf)

# The .pc files locate the prefix from their own path, so the install can move.
file(RELATIVE_PATH WHARF_PC_TO_PREFIX /root/${CMAKE_INSTALL_LIBDIR}/pkgconfig /root)
foreach(pc wharf wharf-broker)
  configure_file(cmake/${pc}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

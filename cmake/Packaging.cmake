# Installation rules and Debian packages (cpack -G DEB): arkmq-broker, arkmq-edge, arkmq-tools.
# Owner: ops-package. Files outside the install prefix (/etc/arkmq, /lib/systemd/system) use
# absolute destinations: the packages install to /usr and Debian keeps those two paths fixed.
# Build the packages: cmake --build build/release && (cd build/release && cpack)
include(GNUInstallDirs)

set(arkmq_packaging_dir ${CMAKE_CURRENT_SOURCE_DIR}/tools/packaging)
set(arkmq_unit_dir /lib/systemd/system)

# Executables, one component per package. A module not yet in the build is simply left out.
foreach(pair "arkmq-broker;broker" "arkmq-edge;edge" "arkmqctl;tools" "arkmq-bench;tools")
  list(GET pair 0 target)
  list(GET pair 1 component)
  if(TARGET ${target})
    install(TARGETS ${target} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT ${component})
  endif()
endforeach()

# Default configuration (dpkg conffiles: an edited file survives upgrades) and the units.
install(FILES ${arkmq_packaging_dir}/arkmq.toml DESTINATION /etc/arkmq COMPONENT broker)
install(FILES ${arkmq_packaging_dir}/arkmq-broker.service DESTINATION ${arkmq_unit_dir}
        COMPONENT broker)
install(FILES ${arkmq_packaging_dir}/edge.toml DESTINATION /etc/arkmq COMPONENT edge)
install(FILES ${arkmq_packaging_dir}/arkmq-edge.service DESTINATION ${arkmq_unit_dir}
        COMPONENT edge)

# Documentation beside each package (/usr/share/doc/<package>/), the files that exist now.
function(arkmq_install_docs component package)
  foreach(doc IN LISTS ARGN)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${doc})
      install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/${doc}
              DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package} COMPONENT ${component})
    endif()
  endforeach()
endfunction()
arkmq_install_docs(broker arkmq-broker README.md docs/operations.md docs/configuration.md
                   docs/security.md docs/audit.md docs/persistence.md docs/flow-control.md
                   docs/services.md docs/metrics.md docs/status-page.md)
arkmq_install_docs(edge arkmq-edge docs/edge.md)
arkmq_install_docs(tools arkmq-tools docs/arkmqctl.md docs/bench.md)

# Maintainer scripts, generated per package from one template each.
function(arkmq_maintainer_scripts component package unit enable data_files)
  set(ARKMQ_PACKAGE ${package})
  set(ARKMQ_UNIT ${unit})
  set(ARKMQ_ENABLE ${enable})
  set(ARKMQ_DATA_FILES ${data_files})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/packaging/${package})
  foreach(script postinst prerm postrm)
    configure_file(${arkmq_packaging_dir}/${script}.in ${out}/${script} @ONLY
                   FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
                   GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  endforeach()
  file(WRITE ${out}/conffiles "${ARGN}\n")
  string(TOUPPER ${component} upper)
  set(CPACK_DEBIAN_${upper}_PACKAGE_CONTROL_EXTRA
      "${out}/postinst;${out}/prerm;${out}/postrm;${out}/conffiles" PARENT_SCOPE)
endfunction()
arkmq_maintainer_scripts(broker arkmq-broker arkmq-broker.service yes
                         "arkmq.db audit.db state.db" /etc/arkmq/arkmq.toml)
arkmq_maintainer_scripts(edge arkmq-edge arkmq-edge.service no "edge-outbox.db"
                         /etc/arkmq/edge.toml)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME arkmq)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR arkmq)
set(CPACK_PACKAGE_CONTACT "arkmq maintainers <arkmq@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL broker edge tools)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # <package>_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends from dpkg-shlibdeps on the binaries
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)  # maintainer scripts 0755, conffiles 0644

set(CPACK_DEBIAN_BROKER_PACKAGE_NAME arkmq-broker)
set(CPACK_DEBIAN_BROKER_PACKAGE_DEPENDS adduser)
set(CPACK_COMPONENT_BROKER_DESCRIPTION
    "arkmq MQTT 3.1.1 and 5.0 broker for cloud-edge computing
The broker with its systemd unit (arkmq-broker.service, runs as the arkmq user) and the
default configuration /etc/arkmq/arkmq.toml: a loopback listener, anonymous clients refused,
everything denied until arkmqctl adds rules. Data lives in /var/lib/arkmq.")
set(CPACK_DEBIAN_EDGE_PACKAGE_NAME arkmq-edge)
set(CPACK_DEBIAN_EDGE_PACKAGE_DEPENDS adduser)
set(CPACK_COMPONENT_EDGE_DESCRIPTION
    "arkmq edge bridge
arkmq-edge connects a site's services and telemetry to an arkmq cloud broker, with a
durable outbox. Configure /etc/arkmq/edge.toml, then enable arkmq-edge.service.")
set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME arkmq-tools)
set(CPACK_COMPONENT_TOOLS_DESCRIPTION
    "arkmq administration and load tools
arkmqctl manages users, roles, topic rules, service grants, quotas and backups of an arkmq
broker and reads its audit journal; arkmq-bench generates MQTT load.")
include(CPack)
